/**
 * Where in its cycle each agent's job goes. `window`: within min(interval / 10, 60 s) of the
 * tick (the original behaviour: every cycle starts with a burst). `interval`: anywhere in the
 * whole interval, so releases per minute stay level. Either way the offset is stable per
 * (type, agent), so each agent's period stays exactly one interval.
 */
export const SPREAD_MODES = ['window', 'interval'] as const;
export type SpreadMode = (typeof SPREAD_MODES)[number];

/** In `window` mode no tick is spread over more than a (scheduler) minute. */
export const MAX_SPREAD_MINUTES = 1;

/** The span a tick's jobs are spread over, for a period of `periodMs`. */
export function spreadWindowMs(periodMs: number, mode: SpreadMode, minuteMs = 60_000): number {
  return mode === 'interval' ? periodMs : Math.min(periodMs / 10, MAX_SPREAD_MINUTES * minuteMs);
}

/**
 * A stable offset in [0, window) for one agent and type: the same agent lands in the same
 * place every tick, and agents are spread evenly so thousands of logins do not reach the ERP
 * in the same second.
 */
export function spreadDelayMs(type: string, userId: string, windowMs: number): number {
  const window = Math.floor(windowMs);
  return window > 0 ? fnv1a(`${type}:${userId}`) % window : 0;
}

/**
 * A stable number in [0, 1) for one agent and type, independent of its spread offset. FNV-1a's
 * high bits barely move between keys that differ only in their last character ("agent-1",
 * "agent-2"), so the hash goes through murmur3's finaliser first, which spreads every bit.
 */
export const agentPhase = (type: string, userId: string): number =>
  fmix32(fnv1a(`phase:${type}:${userId}`)) / 0x1_0000_0000;

/** murmur3's 32-bit finaliser: an avalanche mix, every input bit reaching every output bit. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a: fast, dependency-free and well spread for short keys. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
