import { Job, QueueEvents, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { SyncEvent, SyncHistory } from '../../domain/ports/sync-history.js';
import { toActiveJob } from './bullmq-job.js';
import { DISCONNECT_TIMEOUT_MS } from './create-queue.js';

export interface HistoryRecorderOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  readonly prefix: string;
  readonly onError: (error: unknown) => void;
}

/**
 * Writes every sync job's outcome into SyncHistory, whichever worker processed it, by
 * following the queue's event stream. An outcome is final: BullMQ emits `failed` only once
 * the attempts are exhausted (or the worker threw UnrecoverableError); an attempt that will
 * be retried is not one. Events that happen while no recorder runs are not replayed:
 * history is an operator's view, not an audit log.
 */
export class BullMqHistoryRecorder {
  private readonly events: QueueEvents;
  private readonly connection: Redis;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly queue: Queue,
    private readonly history: SyncHistory,
    private readonly options: HistoryRecorderOptions,
  ) {
    // QueueEvents blocks on XREAD: it needs its own connection that never gives up a command.
    this.connection = new Redis(options.redisUrl, {
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      // close() must not keep the process alive for ioredis' default 2 s.
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    });
    this.connection.on('error', options.onError);
    this.events = new QueueEvents(options.queueName, {
      connection: this.connection,
      prefix: options.prefix,
      autorun: false,
    });
    this.events.on('error', options.onError);
    this.events.on('completed', ({ jobId }, eventId) =>
      this.track(this.record(jobId, eventId, true, null)),
    );
    this.events.on('failed', ({ jobId, failedReason }, eventId) =>
      this.track(this.record(jobId, eventId, false, failedReason || 'failed')),
    );
  }

  start(): void {
    this.events.run().catch(this.options.onError);
  }

  async close(): Promise<void> {
    await this.events.close().catch(this.options.onError);
    await Promise.allSettled([...this.pending]);
    this.connection.disconnect();
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(this.options.onError).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async record(
    jobId: string,
    eventId: string,
    success: boolean,
    error: string | null,
  ): Promise<void> {
    const job = await Job.fromId(this.queue, jobId);
    const event = job ? toSyncEvent(job, streamTime(eventId), success, error) : null;
    if (event) await this.history.record(event);
  }
}

/** null for jobs that are not sync jobs of this contract. */
export function toSyncEvent(
  job: Job,
  eventTime: number,
  success: boolean,
  error: string | null,
): SyncEvent | null {
  const sync = toActiveJob(job);
  if (!sync) return null;
  // finishedOn is the same for every replica reading the job; the stream entry's time is
  // the fallback when the job was already removed or rewritten.
  const finishedAt = job.finishedOn ?? eventTime;
  return {
    jobId: sync.jobId,
    type: sync.type,
    userId: sync.userId,
    success,
    finishedAt,
    durationMs: job.processedOn ? Math.max(0, finishedAt - job.processedOn) : null,
    error: success ? null : (error ?? job.failedReason ?? 'failed'),
  };
}

/** Redis stream ids start with the entry's epoch milliseconds: "1767254400000-0". */
const streamTime = (eventId: string): number => Number.parseInt(eventId, 10) || Date.now();
