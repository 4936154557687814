import type { SyncType } from '../sync-types.js';

/** One sync request for one agent (or the service account), as the Scheduler decides it. */
export interface SyncJob {
  readonly type: SyncType;
  readonly userId: string;
  /** Epoch ms of the tick that produced the job. */
  readonly timestamp: number;
  /** Wait this long before a worker may take the job (spreads a tick over a window). */
  readonly delayMs?: number;
}

export interface EnqueueResult {
  /** Jobs that are now pending because of this call. */
  readonly added: number;
  /** Jobs refused because the same (type, agent) was already waiting, delayed or running. */
  readonly deduplicated: number;
}

/** Where sync jobs go. At most one pending job per (type, userId). */
export interface JobQueue {
  /** Enqueues the whole batch; rejects when the queue cannot be reached. */
  enqueue(jobs: readonly SyncJob[]): Promise<EnqueueResult>;
}

export const JOB_QUEUE = Symbol.for('sync-scheduler/JobQueue');
