import type { BulkJobOptions, Job } from 'bullmq';
import type { SyncJob } from '../../domain/ports/job-queue.js';
import type { ActiveJob } from '../../domain/ports/queue-inspector.js';
import { dedupKey } from '../../domain/sync-jobs.js';
import { isSyncType, jobName, SYNC_PRIORITY } from '../../domain/sync-types.js';

/** What workers receive in `job.data` (DESIGN.md, "Queue contract"). */
export interface SyncJobPayload {
  readonly type: string;
  readonly userId: string;
  readonly data: Record<string, never>;
  readonly timestamp: number;
}

export interface BulkSyncJob {
  readonly name: string;
  readonly data: SyncJobPayload;
  readonly opts: BulkJobOptions & { jobId: string };
}

// One frozen copy for every job: a tick builds 400,000 of these at 100,000 agents.
const BACKOFF = Object.freeze({ type: 'exponential', delay: 30_000 } as const);
const KEEP_COMPLETED = Object.freeze({ count: 100 });
const KEEP_FAILED = Object.freeze({ count: 50 });

/** Maps one SyncJob to the queue contract; `jobId` must be fresh (see BullMqJobQueue.enqueue). */
export function toBulkJob(job: SyncJob, jobId: string): BulkSyncJob {
  const name = jobName(job.type);
  return {
    name,
    data: { type: name, userId: job.userId, data: {}, timestamp: job.timestamp },
    opts: {
      jobId,
      // Simple mode (no ttl): the key lives until the job completes or finally fails.
      deduplication: { id: dedupKey(job.type, job.userId) },
      attempts: 3,
      backoff: BACKOFF,
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
      priority: SYNC_PRIORITY[job.type],
      ...(job.delayMs !== undefined && job.delayMs > 0 ? { delay: job.delayMs } : {}),
    },
  };
}

/** Reads an active job back; null for anything not written by this contract. */
export function toActiveJob(job: Job | undefined | null): ActiveJob | null {
  const payload: unknown = job?.data;
  if (!job?.id || typeof payload !== 'object' || payload === null) return null;
  const { type, userId } = payload as Record<string, unknown>;
  if (typeof type !== 'string' || typeof userId !== 'string' || userId === '') return null;
  const syncType = type.startsWith('sync-') ? type.slice('sync-'.length) : null;
  return isSyncType(syncType) ? { jobId: job.id, type: syncType, userId } : null;
}
