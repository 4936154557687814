import type { EnqueueResult, JobQueue, SyncJob } from '../../domain/ports/job-queue.js';
import type { Lease } from '../../domain/ports/leader-election.js';
import type { ActiveJob, QueueCounts, QueueInspector } from '../../domain/ports/queue-inspector.js';
import { dedupKey } from '../../domain/sync-jobs.js';
import { asAdapterFailure } from './failure.js';

const UNREACHABLE = 'The jobs could not be enqueued: the queue is unreachable.';

/** Jobs per fence check, as BullMqJobQueue's ENQUEUE_CHUNK_SIZE. */
const CHUNK_SIZE = 1_000;

interface PendingJob {
  readonly job: SyncJob;
  readonly jobId: string;
  active: boolean;
}

/** Keeps pending jobs in a Map keyed like BullMQ's deduplication id. */
export class InMemoryJobQueue implements JobQueue, QueueInspector {
  private readonly pending = new Map<string, PendingJob>();
  /** Every enqueue call's batch, in order, for assertions about batching. */
  readonly batches: SyncJob[][] = [];
  private failure: Error | null = null;
  private nextJobId = 1;
  private completed = 0;
  /** Batches refused by the fence, for assertions. */
  readonly fencedBatches: SyncJob[][] = [];

  /** `leaseHolder`: what the lease key holds (e.g. InMemoryLeaderElection.holder). */
  constructor(private readonly leaseHolder?: () => string | null) {}

  /**
   * Like BullMqJobQueue, checks the fence before every chunk of CHUNK_SIZE jobs; the first
   * refused chunk ends the call, and the rest of the batch lands in `fencedBatches`.
   */
  async enqueue(jobs: readonly SyncJob[], fence?: Lease): Promise<EnqueueResult> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    let added = 0;
    for (let start = 0; start < Math.max(jobs.length, 1); start += CHUNK_SIZE) {
      if (fence && (!fence.isValid() || (this.leaseHolder && this.leaseHolder() !== fence.token))) {
        if (start > 0) this.batches.push(jobs.slice(0, start));
        this.fencedBatches.push(jobs.slice(start));
        const fenced = jobs.length - start;
        return { added, deduplicated: jobs.length - added - fenced, fenced };
      }
      for (const job of jobs.slice(start, start + CHUNK_SIZE)) {
        const key = dedupKey(job.type, job.userId);
        if (this.pending.has(key)) continue;
        this.pending.set(key, { job, jobId: String(this.nextJobId++), active: false });
        added++;
      }
    }
    this.batches.push([...jobs]);
    return { added, deduplicated: jobs.length - added, fenced: 0 };
  }

  pendingJobs(): SyncJob[] {
    return [...this.pending.values()].map(({ job }) => job);
  }

  /** A worker took the job: it counts as active and still blocks its key. */
  start(type: SyncJob['type'], userId: string): void {
    const pending = this.pending.get(dedupKey(type, userId));
    if (!pending) throw new Error(`no pending ${type} job for ${userId}`);
    pending.active = true;
  }

  /** A worker finished the job: its (type, agent) may be enqueued again. */
  complete(type: SyncJob['type'], userId: string): void {
    if (this.pending.delete(dedupKey(type, userId))) this.completed++;
  }

  completeAll(): void {
    this.completed += this.pending.size;
    this.pending.clear();
  }

  /** Makes every later call reject with `error` (null heals it). */
  failWith(error: Error | null): void {
    this.failure = error;
  }

  /**
   * Mirrors BullMQ: every sync type has a priority, so a job ready to run sits in BullMQ's
   * `prioritized` set, never in `waiting`; a job with a delay is `delayed` (no clock here, so
   * it stays delayed until started or completed).
   */
  async counts(): Promise<QueueCounts> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const queued = [...this.pending.values()].filter(({ active }) => !active);
    const delayed = queued.filter(({ job }) => (job.delayMs ?? 0) > 0).length;
    return {
      waiting: 0,
      active: this.pending.size - queued.length,
      completed: this.completed,
      failed: 0,
      delayed,
      prioritized: queued.length - delayed,
    };
  }

  async activeJobs(limit: number): Promise<readonly ActiveJob[]> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    return [...this.pending.values()]
      .filter(({ active }) => active)
      .slice(0, Math.max(limit, 0))
      .map(({ job, jobId }) => ({ jobId, type: job.type, userId: job.userId }));
  }
}
