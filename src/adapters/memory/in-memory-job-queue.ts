import type { EnqueueResult, JobQueue, SyncJob } from '../../domain/ports/job-queue.js';
import { dedupKey } from '../../domain/sync-jobs.js';

/** Keeps pending jobs in a Map keyed like BullMQ's deduplication id. */
export class InMemoryJobQueue implements JobQueue {
  private readonly pending = new Map<string, SyncJob>();
  /** Every enqueue call's batch, in order, for assertions about batching. */
  readonly batches: SyncJob[][] = [];
  private failure: Error | null = null;

  async enqueue(jobs: readonly SyncJob[]): Promise<EnqueueResult> {
    if (this.failure) throw this.failure;
    this.batches.push([...jobs]);
    let added = 0;
    for (const job of jobs) {
      const key = dedupKey(job.type, job.userId);
      if (this.pending.has(key)) continue;
      this.pending.set(key, job);
      added++;
    }
    return { added, deduplicated: jobs.length - added };
  }

  pendingJobs(): SyncJob[] {
    return [...this.pending.values()];
  }

  /** A worker finished the job: its (type, agent) may be enqueued again. */
  complete(type: SyncJob['type'], userId: string): void {
    this.pending.delete(dedupKey(type, userId));
  }

  completeAll(): void {
    this.pending.clear();
  }

  /** Makes every later call reject with `error` (null heals it). */
  failWith(error: Error | null): void {
    this.failure = error;
  }
}
