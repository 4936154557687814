import { minutesToMs } from './interval.js';
import type { SyncType } from './sync-types.js';

/** No tick is spread over more than a minute, however long its interval. */
export const MAX_SPREAD_MS = 60_000;

/** A tick's jobs start within min(interval / 10, 60 s) of the tick. */
export const spreadWindowMs = (intervalMinutes: number): number =>
  Math.min(minutesToMs(intervalMinutes) / 10, MAX_SPREAD_MS);

/**
 * A stable offset in [0, window) for one agent and type: the same agent lands in the same
 * place every tick (its sync period stays one interval), and agents are spread evenly so
 * thousands of logins do not reach the ERP in the same second.
 */
export function spreadDelayMs(type: SyncType, userId: string, intervalMinutes: number): number {
  const window = Math.floor(spreadWindowMs(intervalMinutes));
  return window > 0 ? fnv1a(`${type}:${userId}`) % window : 0;
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
