import type { SyncType } from '../sync-types.js';

/** A pair a manual trigger asked for that the release budget could not let out at once. */
export interface DeferredPair {
  readonly type: SyncType;
  readonly userId: string;
  /** Epoch ms of the pair's last success; 0 when it never succeeded (most stale). */
  readonly lastSuccessAt: number;
}

/**
 * What the release budget counts beside the queue itself, shared by every replica so that it
 * holds across handovers: the jobs released per rolling minute, and the manual triggers
 * waiting for the leader to release them. Rejects when unreachable.
 */
export interface ReleaseLedger {
  /** `count` jobs were released (added to the queue) at `now`. */
  recordReleased(count: number, now: number): Promise<void>;
  /** Jobs recorded as released within the `windowMs` before `now` (resolution: 1/60 of it). */
  releasedWithin(windowMs: number, now: number): Promise<number>;
  /** Hands pairs to the leader's release loop; a pair already waiting is not added twice. */
  deferManual(pairs: readonly DeferredPair[]): Promise<void>;
  /** Takes (and removes) up to `max` waiting manual pairs, most stale first. */
  takeManual(max: number): Promise<readonly DeferredPair[]>;
}

export const RELEASE_LEDGER = Symbol.for('sync-scheduler/ReleaseLedger');
