import type { SyncType } from '../sync-types.js';

/** The outcome of one sync job, whichever worker processed it. */
export interface SyncEvent {
  readonly jobId: string;
  readonly type: SyncType;
  readonly userId: string;
  readonly success: boolean;
  /** Epoch ms when the job finished. */
  readonly finishedAt: number;
  readonly durationMs: number | null;
  readonly error: string | null;
}

/**
 * What a tick decided for jobs it did not run, beside the job outcomes: `deduplicated` (still
 * pending), `skipped_breaker` (a pair or the ERP breaker open); `skipped_window` and
 * `deferred_budget` are reserved for the ERP load controls.
 */
export type DecisionClass =
  'deduplicated' | 'skipped_breaker' | 'skipped_window' | 'deferred_budget';

/** How many jobs of one type a tick gave one class: one record per (tick, class), never per agent. */
export interface TickDecision {
  readonly type: SyncType;
  /** Epoch ms of the tick. */
  readonly at: number;
  readonly class: DecisionClass;
  /** Jobs so decided; more than zero. */
  readonly count: number;
}

/** Bounded record of sync outcomes and tick decisions; rejects when unreachable. */
export interface SyncHistory {
  /** Idempotent per (jobId, finishedAt): several replicas may report the same outcome. */
  record(event: SyncEvent): Promise<void>;
  /**
   * Records a batch in one round trip, all or nothing, with the same idempotency (also between
   * duplicates inside the batch). The history writer's path: one statement per batch.
   * Resolves with the events it actually inserted (each new outcome once, in batch order), so
   * that the writer applies an outcome to the agent state only the first time it is seen.
   */
  recordMany(events: readonly SyncEvent[]): Promise<readonly SyncEvent[]>;
  /** The newest `limit` events of each type, newest first. */
  recent(limit: number): Promise<Readonly<Record<SyncType, readonly SyncEvent[]>>>;
  /** Records a tick's decisions in one round trip, all or nothing. */
  recordDecisions(decisions: readonly TickDecision[]): Promise<void>;
  /** The newest `limit` decisions of each type, newest first. */
  recentDecisions(limit: number): Promise<Readonly<Record<SyncType, readonly TickDecision[]>>>;
  /**
   * Deletes events, and decisions, beyond the same retention bounds (each counted apart per
   * type); resolves with how many rows went.
   */
  prune(): Promise<number>;
}

export const SYNC_HISTORY = Symbol.for('sync-scheduler/SyncHistory');
