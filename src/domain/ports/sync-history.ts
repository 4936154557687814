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

/** Bounded record of sync outcomes; rejects when unreachable. */
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
  /** Deletes events beyond the retention bounds; resolves with how many went. */
  prune(): Promise<number>;
}

export const SYNC_HISTORY = Symbol.for('sync-scheduler/SyncHistory');
