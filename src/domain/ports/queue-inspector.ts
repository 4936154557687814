import type { SyncType } from '../sync-types.js';

export interface QueueCounts {
  readonly waiting: number;
  readonly active: number;
  readonly completed: number;
  readonly failed: number;
  readonly delayed: number;
  readonly prioritized: number;
}

export interface ActiveJob {
  readonly jobId: string;
  readonly type: SyncType;
  readonly userId: string;
}

/** Read-only view of the queue for monitoring; rejects when the queue cannot be reached. */
export interface QueueInspector {
  counts(): Promise<QueueCounts>;
  /** Jobs a worker is processing right now (bounded by `limit`). */
  activeJobs(limit: number): Promise<readonly ActiveJob[]>;
}

export const QUEUE_INSPECTOR = Symbol.for('sync-scheduler/QueueInspector');
