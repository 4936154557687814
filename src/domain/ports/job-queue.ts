import type { SyncType } from '../sync-types.js';
import type { Lease } from './leader-election.js';

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
  /**
   * Jobs not sent because the fence refused them: the lease had passed or the lease key no
   * longer held its token. The first refused chunk ends the call; nothing after it is sent,
   * and nothing is retried (the new leader schedules them).
   */
  readonly fenced: number;
}

/** Where sync jobs go. At most one pending job per (type, userId). */
export interface JobQueue {
  /**
   * Enqueues the whole batch; rejects when the queue cannot be reached. With a `fence` (the
   * leader's lease), every chunk is sent only while the lease is valid and its key still
   * holds the lease's token, checked atomically with the add; without one (a manual trigger
   * on any replica) nothing is fenced.
   */
  enqueue(jobs: readonly SyncJob[], fence?: Lease): Promise<EnqueueResult>;
}

export const JOB_QUEUE = Symbol.for('sync-scheduler/JobQueue');
