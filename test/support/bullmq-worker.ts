import { randomUUID } from 'node:crypto';
import { type ConnectionOptions, type Job, Worker } from 'bullmq';
import { createRedisClient, type RedisClient } from '../../src/adapters/queue/redis-client.js';
import { isClusterUrl } from '../../src/adapters/queue/redis-url.js';
import { dedupKey } from '../../src/domain/sync-jobs.js';
import type { SyncType } from '../../src/domain/sync-types.js';
import type { TestQueue } from './redis.js';

interface Taken {
  readonly job: Job;
  readonly token: string;
}

/**
 * A real BullMQ Worker driven by hand, so a test decides which job runs and when it finishes.
 * Jobs go through BullMQ's own scripts (moveToActive, moveToFinished), which is what releases a
 * deduplication key in production.
 */
export class ManualWorker {
  private worker: Worker | null = null;
  /** A cluster's Worker is handed a client (BullMQ closes none it was given). */
  private cluster: RedisClient | null = null;
  private readonly taken = new Map<string, Taken>();

  constructor(private readonly test: TestQueue) {}

  /** Moves that job to active, as a worker picking it up would. */
  async start(type: SyncType, userId: string): Promise<Job> {
    return (await this.take(type, userId)).job;
  }

  /** Completes that job (starting it first if needed). */
  async complete(type: SyncType, userId: string): Promise<void> {
    const key = dedupKey(type, userId);
    const { job, token } = this.taken.get(key) ?? (await this.take(type, userId));
    this.taken.delete(key);
    await job.moveToCompleted('done', token, false);
  }

  async close(): Promise<void> {
    try {
      await this.worker?.close();
    } finally {
      this.cluster?.disconnect();
    }
  }

  private async take(type: SyncType, userId: string): Promise<Taken> {
    const key = dedupKey(type, userId);
    const jobId = await this.test.queue.getDeduplicationJobId(key);
    const job = jobId ? await this.test.queue.getJob(jobId) : undefined;
    if (!job?.id) throw new Error(`no pending job for ${key}`);
    // A worker takes the most urgent ready job; make this one it so nothing else gets touched.
    if (await job.isDelayed()) await job.promote();
    await job.changePriority({ priority: 1 });
    const token = randomUUID();
    const next = await this.getWorker().getNextJob(token, { block: false });
    if (next?.id !== job.id) throw new Error(`worker took ${next?.id} instead of ${job.id}`);
    const taken = { job: next, token };
    this.taken.set(key, taken);
    return taken;
  }

  private getWorker(): Worker {
    // Its own connection: a Worker's blocking client needs maxRetriesPerRequest: null.
    this.worker ??= new Worker(this.test.queueName, null, {
      connection: this.connection(),
      prefix: this.test.prefix,
      autorun: false,
    });
    return this.worker;
  }

  private connection(): ConnectionOptions {
    if (!isClusterUrl(this.test.redisUrl)) return { url: this.test.redisUrl };
    this.cluster = createRedisClient(this.test.redisUrl, { maxRetriesPerRequest: null });
    return this.cluster;
  }
}
