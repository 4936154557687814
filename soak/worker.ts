import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, Worker } from 'bullmq';
import { decodeJobId } from '../src/adapters/queue/job-id.js';
import type { SyncType } from '../src/domain/sync-types.js';
import { streamOf } from './random.js';

/** One job the queue held, as the worker (or the final look at the queue) saw it. */
export interface JobRecord {
  readonly id: string;
  readonly type: SyncType;
  readonly userId: string;
  /** The fencing term it was enqueued under; null for a manual trigger. */
  readonly term: number | null;
  readonly producer: string;
  /** BullMQ's `job.timestamp`: when the producer built it, just before sending it. */
  readonly createdAt: number;
  /** `data.timestamp`: the tick (or trigger) it belongs to. */
  readonly tickAt: number;
  attempts: number;
  /** Its final outcome (after its last attempt), when the worker got that far. */
  finishedAt?: number;
  outcome?: 'completed' | 'failed';
}

export interface ActiveOverlap {
  readonly at: number;
  readonly pair: string;
  readonly jobs: readonly [string, string];
}

export interface CountingWorkerOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly queueName: string;
  readonly seed: number;
  /** Share of attempts that fail (BullMQ retries them: 3 attempts, 30 s backoff). */
  readonly failRatio: number;
  readonly concurrency: number;
}

export const pairOf = (type: string, userId: string): string => `${type}|${userId}`;

/**
 * A real BullMQ worker (direct to Redis: the faults are the scheduler's, not the workers')
 * that completes most jobs and fails a seeded share of attempts, and records every job it
 * sees. Two jobs of one (type, agent) active at once is recorded as it happens.
 */
export class CountingWorker {
  readonly jobs = new Map<string, JobRecord>();
  readonly overlaps: ActiveOverlap[] = [];
  readonly unknownIds: string[] = [];
  activations = 0;
  /** Newest tick seen per type among fenced (tick) jobs: when the next one is due, roughly. */
  readonly lastTickAt = new Map<SyncType, number>();
  private readonly active = new Map<string, string>();
  private readonly random;
  private readonly failRatio: number;
  private readonly worker: Worker;

  constructor(options: CountingWorkerOptions) {
    this.random = streamOf(options.seed, 2);
    this.worker = new Worker(options.queueName, (job) => this.process(job), {
      connection: { url: options.redisUrl, maxRetriesPerRequest: null },
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: true,
    });
    this.worker.on('completed', (job) => this.finished(job, 'completed'));
    this.worker.on('failed', (job) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) this.finished(job, 'failed');
    });
    // Connection trouble is retried by BullMQ itself; the worker is not under test.
    this.worker.on('error', () => {});
    this.failRatio = options.failRatio;
  }

  /** Adds (or returns) the record of a job, from its id and hash fields. */
  record(id: string, createdAt: number, tickAt: number): JobRecord | undefined {
    const known = this.jobs.get(id);
    if (known) return known;
    const parts = decodeJobId(id);
    if (!parts) {
      this.unknownIds.push(id);
      return undefined;
    }
    const record: JobRecord = {
      id,
      type: parts.type,
      userId: parts.userId,
      term: parts.term,
      producer: parts.producer,
      createdAt,
      tickAt,
      attempts: 0,
    };
    this.jobs.set(id, record);
    if (parts.term !== null && tickAt > (this.lastTickAt.get(parts.type) ?? 0)) {
      this.lastTickAt.set(parts.type, tickAt);
    }
    return record;
  }

  private async process(job: Job): Promise<void> {
    const id = String(job.id);
    const data = job.data as { timestamp?: unknown };
    const record = this.record(id, job.timestamp, Number(data.timestamp));
    this.activations++;
    if (record) record.attempts++;
    const pair = record ? pairOf(record.type, record.userId) : `?|${id}`;
    const other = this.active.get(pair);
    if (other !== undefined && other !== id) {
      this.overlaps.push({ at: Date.now(), pair, jobs: [other, id] });
    }
    this.active.set(pair, id);
    try {
      await sleep(2 + Math.floor(this.random.next() * 18));
      if (this.random.chance(this.failRatio)) throw new Error('soak: seeded failure');
    } finally {
      if (this.active.get(pair) === id) this.active.delete(pair);
    }
  }

  private finished(job: Job, outcome: 'completed' | 'failed'): void {
    const record = this.jobs.get(String(job.id));
    if (!record || record.outcome) return;
    record.finishedAt = Date.now();
    record.outcome = outcome;
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
