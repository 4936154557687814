/**
 * Activity tiers: an agent seen recently is synced at its type's interval, an idle one less
 * often, an offline one not at all by ticks (manual triggers still reach it).
 */
export type ActivityTier = 'active' | 'idle' | 'offline';

export const ACTIVITY_TIERS: readonly ActivityTier[] = ['active', 'idle', 'offline'];

/** One whitelisted agent and when the host application last saw it (null: never). */
export interface AgentActivity {
  readonly id: string;
  readonly lastActivityAt: number | null;
}

export interface TierRules {
  /** Seen within this long: active (default 120 minutes). */
  readonly activeWithinMs: number;
  /** Seen within this long: idle (default 1440 minutes); older or never: offline. */
  readonly idleWithinMs: number;
}

export const DEFAULT_TIER_RULES: TierRules = {
  activeWithinMs: 120 * 60_000,
  idleWithinMs: 1440 * 60_000,
};

/** Per type: how many intervals an idle / offline agent waits between syncs (0 = never). */
export interface TierMultipliers {
  readonly idleMultiplier: number;
  readonly offlineMultiplier: number;
}

export const DEFAULT_TIER_MULTIPLIERS: TierMultipliers = {
  idleMultiplier: 4,
  offlineMultiplier: 0,
};

export const MIN_MULTIPLIER = 0;
export const MAX_MULTIPLIER = 100;

/**
 * The tier of an agent at `now`. `null` rules mean the host application has no activity
 * column: every agent counts as active.
 */
export function tierOf(
  lastActivityAt: number | null,
  now: number,
  rules: TierRules | null,
): ActivityTier {
  if (!rules) return 'active';
  if (lastActivityAt === null) return 'offline';
  const age = now - lastActivityAt;
  if (age <= rules.activeWithinMs) return 'active';
  if (age <= rules.idleWithinMs) return 'idle';
  return 'offline';
}

/** The multiplier a tier gets: active always 1. */
export const multiplierOf = (tier: ActivityTier, multipliers: TierMultipliers): number =>
  tier === 'active'
    ? 1
    : tier === 'idle'
      ? multipliers.idleMultiplier
      : multipliers.offlineMultiplier;

/**
 * Whether a tick includes an agent whose multiplier is `multiplier`: every tick for 1, never
 * for 0, otherwise one tick in `multiplier`, chosen by a stable per-agent phase so that idle
 * agents are spread over the ticks rather than all synced on the same one. `tickIndex` is the
 * tick's ordinal (its time divided by the period); `phase` is the agent's stable hash.
 * Stateless: every replica (and a new leader) picks the same ticks, and the agent's period is
 * exactly `multiplier` intervals.
 */
export function dueThisTick(multiplier: number, tickIndex: number, phase: number): boolean {
  if (multiplier <= 0) return false;
  if (multiplier === 1) return true;
  return (tickIndex + phase) % multiplier === 0;
}

/** How many agents are in each tier at `now` (`null` rules: everyone is active). */
export function countTiers(
  agents: readonly AgentActivity[],
  now: number,
  rules: TierRules | null,
): Record<ActivityTier, number> {
  const counts: Record<ActivityTier, number> = { active: 0, idle: 0, offline: 0 };
  for (const agent of agents) counts[tierOf(agent.lastActivityAt, now, rules)]++;
  return counts;
}
