import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { inject, injectable } from 'inversify';
import type { EnqueueResult, JobQueue, SyncJob } from '../../domain/ports/job-queue.js';
import type { ActiveJob, QueueCounts, QueueInspector } from '../../domain/ports/queue-inspector.js';
import { toActiveJob, toBulkJob } from './bullmq-job.js';
import { BULLMQ_QUEUE } from './tokens.js';

/**
 * Jobs per `addBulk` (one Redis pipeline). 40,000 jobs against the local Redis 7.0, three
 * interleaved runs each: 250 → 1.63-1.89 s, 500 → 1.50-1.66 s, 1,000 → 1.51-1.67 s,
 * 2,000 → 1.73-1.83 s, 5,000 → 1.63-1.94 s, all 40,000 in one call → 1.75-2.13 s. 500-1,000 is
 * the sweet spot; 1,000 keeps each pipeline around 40 ms, far below the 5 s command timeout, and
 * bounds the memory of one round trip.
 */
export const ENQUEUE_CHUNK_SIZE = 1_000;

@injectable()
export class BullMqJobQueue implements JobQueue, QueueInspector {
  constructor(@inject(BULLMQ_QUEUE) private readonly queue: Queue) {}

  /**
   * How a deduplicated job is told apart: every job is sent with a fresh random `jobId`. BullMQ's
   * add scripts (addPrioritizedJob/addDelayedJob → deduplicateJob, simple mode) either store the
   * job and return that id, or, when `de:<deduplication id>` already names a job, store nothing
   * and return the id of the job holding the key. So a returned id equal to the one we sent
   * means added; anything else means deduplicated. The scripts run one at a time in pipeline
   * order, so the second of two same-key jobs in one batch gets the first one's id back, and a
   * concurrent producer can only make us see its id. Auto-generated ids cannot be told apart this
   * way: an existing job's id looks like any other counter value.
   *
   * Chunks go one after another; if one fails the promise rejects and earlier chunks stay queued
   * (harmless: the next tick deduplicates them).
   */
  async enqueue(jobs: readonly SyncJob[]): Promise<EnqueueResult> {
    let added = 0;
    for (let start = 0; start < jobs.length; start += ENQUEUE_CHUNK_SIZE) {
      const bulk = jobs
        .slice(start, start + ENQUEUE_CHUNK_SIZE)
        .map((job) => toBulkJob(job, randomUUID()));
      const stored = await this.queue.addBulk(bulk);
      added += stored.filter((job, i) => job.id === bulk[i]?.opts.jobId).length;
    }
    return { added, deduplicated: jobs.length - added };
  }

  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts(
      'waiting',
      'active',
      'completed',
      'failed',
      'delayed',
      'prioritized',
    );
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
      prioritized: counts.prioritized ?? 0,
    };
  }

  async activeJobs(limit: number): Promise<readonly ActiveJob[]> {
    if (limit <= 0) return [];
    const jobs = await this.queue.getActive(0, limit - 1);
    return jobs.map(toActiveJob).filter((job): job is ActiveJob => job !== null);
  }
}
