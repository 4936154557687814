import type { SyncEvent } from './ports/sync-history.js';

export type Health = 'healthy' | 'degraded' | 'stale' | 'idle' | 'paused';

export interface HealthInput {
  readonly autoSyncRunning: boolean;
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly lastRunAt: number | null;
  /** Newest first. */
  readonly history: readonly SyncEvent[];
  /**
   * A breaker holds this type's jobs back (the ERP breaker, or at least one pair's): skips
   * are not successes, so such a type is never healthy.
   */
  readonly breakerOpen?: boolean;
  readonly now: number;
}

/** How many of the newest outcomes decide between healthy and degraded. */
export const HEALTH_WINDOW = 5;

/**
 * paused: the operator paused the type. idle: auto-sync is off, or the type never ran.
 * stale: running but no tick for more than two intervals. degraded: a recent job failed, or
 * a breaker holds jobs of the type back.
 */
export function healthOf(input: HealthInput): Health {
  if (!input.enabled) return 'paused';
  if (!input.autoSyncRunning || input.lastRunAt === null) return 'idle';
  if (input.now - input.lastRunAt > 2 * input.intervalMs) return 'stale';
  if (input.breakerOpen) return 'degraded';
  if (input.history.slice(0, HEALTH_WINDOW).some((event) => !event.success)) return 'degraded';
  return 'healthy';
}
