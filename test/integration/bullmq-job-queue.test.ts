import net from 'node:net';
import { type Queue, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BullMqJobQueue,
  ENQUEUE_CHUNK_SIZE,
  PIPELINE_SIZE,
  type FencedChunk,
} from '../../src/adapters/queue/bullmq-job-queue.js';
import type { ReadFence } from '../../src/adapters/queue/held-dedup-keys.js';
import { decodeJobId } from '../../src/adapters/queue/job-id.js';
import { closeQueue, createBullMqQueue } from '../../src/adapters/queue/create-queue.js';
import type { SyncJob } from '../../src/domain/ports/job-queue.js';
import type { Lease } from '../../src/domain/ports/leader-election.js';
import { SERVICE_ACCOUNT, type SyncType } from '../../src/domain/sync-types.js';
import { createTestQueue, TEST_REDIS_URL, type TestQueue } from '../support/redis.js';
import { ManualWorker } from '../support/bullmq-worker.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const TICK = 1_700_000_000_000;
const aJob = (type: SyncType, userId: string, delayMs?: number): SyncJob =>
  delayMs === undefined
    ? { type, userId, timestamp: TICK }
    : { type, userId, timestamp: TICK, delayMs };
const agents = (count: number): SyncJob[] =>
  Array.from({ length: count }, (_, i) => aJob('orders', `agent-${i}`));

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('BullMqJobQueue against Redis', () => {
  let test: TestQueue;
  let jobs: BullMqJobQueue;

  beforeEach(async () => {
    test = await createTestQueue();
    jobs = new BullMqJobQueue(test.queue);
  });
  afterEach(async () => {
    await test.cleanup();
  });

  const stored = async (type: SyncType, userId: string) => {
    const id = await test.queue.getDeduplicationJobId(`sync-${type}-${userId}`);
    return id ? test.queue.getJob(id) : undefined;
  };

  it('stores each job exactly as the queue contract says', async () => {
    await jobs.enqueue([aJob('orders', 'a-1'), aJob('products', SERVICE_ACCOUNT)]);
    const job = await stored('orders', 'a-1');
    expect(job?.name).toBe('sync-orders');
    expect(job?.data).toEqual({ type: 'sync-orders', userId: 'a-1', data: {}, timestamp: TICK });
    expect(job?.opts).toMatchObject({
      deduplication: { id: 'sync-orders-a-1' },
      attempts: 3,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 50 },
      priority: 11,
    });
    expect(job?.opts.delay).toBeUndefined();
    expect(await job?.getState()).toBe('prioritized');
    const shared = await stored('products', SERVICE_ACCOUNT);
    expect(shared?.data).toMatchObject({ type: 'sync-products', userId: SERVICE_ACCOUNT });
    expect(shared?.opts.priority).toBe(14);
  });

  it('delays a job by its delayMs and keeps its contract fields', async () => {
    await jobs.enqueue([aJob('ddt', 'a-1', 90_000)]);
    const job = await stored('ddt', 'a-1');
    expect(job?.opts).toMatchObject({ delay: 90_000, priority: 12, attempts: 3 });
    expect(job?.deduplicationId).toBe('sync-ddt-a-1');
    expect(await job?.getState()).toBe('delayed');
  });

  it('sends a large batch in chunks and every job lands', async () => {
    const addBulk = vi.spyOn(test.queue, 'addBulk');
    expect(await jobs.enqueue(agents(5_000))).toEqual({ added: 5_000, deduplicated: 0, fenced: 0 });
    expect(addBulk).toHaveBeenCalledTimes(Math.ceil(5_000 / PIPELINE_SIZE));
    for (const [pipeline] of addBulk.mock.calls)
      expect(pipeline.length).toBeLessThanOrEqual(PIPELINE_SIZE);
    expect((await jobs.counts()).prioritized).toBe(5_000);
    expect(await jobs.enqueue(agents(5_000))).toEqual({ added: 0, deduplicated: 5_000, fenced: 0 });
  });

  it('counts each job once when two producers race on the same keys', async () => {
    const rivalHandle = createBullMqQueue({
      redisUrl: TEST_REDIS_URL,
      queueName: test.queueName,
      prefix: test.prefix,
    });
    try {
      await rivalHandle.connection.ping();
      const rival = new BullMqJobQueue(rivalHandle.queue);
      const batch = agents(2_000);
      const [mine, theirs] = await Promise.all([jobs.enqueue(batch), rival.enqueue(batch)]);
      expect(mine.added + theirs.added).toBe(2_000);
      expect(mine.deduplicated + theirs.deduplicated).toBe(2_000);
      expect((await jobs.counts()).prioritized).toBe(2_000);
    } finally {
      await closeQueue(rivalHandle);
    }
  });

  it('skips running jobs that do not follow the contract', async () => {
    await test.queue.add('legacy', { hello: 'world' }, { priority: 1 });
    await jobs.enqueue([aJob('orders', 'a-1')]);
    const worker = new Worker(test.queueName, null, {
      connection: { url: TEST_REDIS_URL },
      prefix: test.prefix,
      autorun: false,
    });
    try {
      await worker.getNextJob('token-1', { block: false });
      await worker.getNextJob('token-2', { block: false });
      expect(await jobs.activeJobs(10)).toEqual([
        { jobId: expect.any(String), type: 'orders', userId: 'a-1' },
      ]);
    } finally {
      await worker.close();
    }
  });
});

describe('BullMqJobQueue skipping jobs whose key is held', () => {
  let test: TestQueue;
  let jobs: BullMqJobQueue;

  beforeEach(async () => {
    test = await createTestQueue();
    jobs = new BullMqJobQueue(test.queue);
  });
  afterEach(async () => {
    await test.cleanup();
  });

  const dedupRedisKey = (type: SyncType, userId: string): string =>
    `${test.queue.keys.de}:sync-${type}-${userId}`;

  it('sends only the jobs whose key is free and counts the rest as deduplicated', async () => {
    await jobs.enqueue([aJob('orders', 'a-1'), aJob('orders', 'a-2', 60_000)]);
    const addBulk = vi.spyOn(test.queue, 'addBulk');
    const batch = [aJob('orders', 'a-1'), aJob('orders', 'a-2'), aJob('orders', 'a-3')];
    expect(await jobs.enqueue(batch)).toEqual({ added: 1, deduplicated: 2, fenced: 0 });
    expect(addBulk).toHaveBeenCalledTimes(1);
    expect(addBulk.mock.calls[0]?.[0].map((job) => job.data.userId)).toEqual(['a-3']);
  });

  it('sends nothing at all when every key is held', async () => {
    await jobs.enqueue(agents(2_500));
    const addBulk = vi.spyOn(test.queue, 'addBulk');
    expect(await jobs.enqueue(agents(2_500))).toEqual({ added: 0, deduplicated: 2_500, fenced: 0 });
    expect(addBulk).not.toHaveBeenCalled();
  });

  it('checks every chunk on its own, across chunk boundaries', async () => {
    const pending = agents(ENQUEUE_CHUNK_SIZE + 500).filter((_, i) => i % 3 === 0);
    await jobs.enqueue(pending);
    const all = agents(ENQUEUE_CHUNK_SIZE + 500);
    expect(await jobs.enqueue(all)).toEqual({
      added: all.length - pending.length,
      deduplicated: pending.length,
      fenced: 0,
    });
    expect((await jobs.counts()).prioritized).toBe(all.length);
  });

  it('sends a job whose key names a job that no longer exists, as BullMQ recovers that key', async () => {
    await test.connection.set(dedupRedisKey('orders', 'a-1'), 'gone-job-id');
    expect(await jobs.enqueue([aJob('orders', 'a-1')])).toEqual({
      added: 1,
      deduplicated: 0,
      fenced: 0,
    });
    expect(await test.queue.getDeduplicationJobId('sync-orders-a-1')).not.toBe('gone-job-id');
  });

  it('treats a key with an expiry as held, as BullMQ does', async () => {
    await test.connection.set(dedupRedisKey('orders', 'a-1'), 'other-producer-job', 'PX', 60_000);
    const addBulk = vi.spyOn(test.queue, 'addBulk');
    expect(await jobs.enqueue([aJob('orders', 'a-1')])).toEqual({
      added: 0,
      deduplicated: 1,
      fenced: 0,
    });
    expect(addBulk).not.toHaveBeenCalled();
    expect((await jobs.counts()).prioritized).toBe(0);
  });

  it('sends a key again once its job has completed', async () => {
    const worker = new ManualWorker(test);
    try {
      await jobs.enqueue([aJob('orders', 'a-1')]);
      await worker.complete('orders', 'a-1');
      expect(await jobs.enqueue([aJob('orders', 'a-1')])).toEqual({
        added: 1,
        deduplicated: 0,
        fenced: 0,
      });
    } finally {
      await worker.close();
    }
  });

  // The documented cost: check and add are not atomic. A job finishing in between is not
  // re-enqueued by this tick, only by the next one.
  it('leaves a key released between check and add to the next tick', async () => {
    const worker = new ManualWorker(test);
    class ReleasingQueue extends BullMqJobQueue {
      protected override async heldKeys(chunk: readonly SyncJob[]) {
        const held = await super.heldKeys(chunk);
        await worker.complete('orders', 'a-1');
        return held;
      }
    }
    try {
      await jobs.enqueue([aJob('orders', 'a-1')]);
      const racing = new ReleasingQueue(test.queue);
      expect(await racing.enqueue([aJob('orders', 'a-1')])).toEqual({
        added: 0,
        deduplicated: 1,
        fenced: 0,
      });
      expect(await jobs.enqueue([aJob('orders', 'a-1')])).toEqual({
        added: 1,
        deduplicated: 0,
        fenced: 0,
      });
    } finally {
      await worker.close();
    }
  });
});

describe('BullMqJobQueue when Redis is unreachable', () => {
  it('rejects an enqueue within a few seconds and reports the connection error', async () => {
    const errors: Error[] = [];
    const handle = createBullMqQueue({
      redisUrl: `redis://127.0.0.1:${await closedPort()}`,
      queueName: 'operations',
      prefix: 'test-unreachable',
      onError: (error) => errors.push(error),
    });
    const jobs = new BullMqJobQueue(handle.queue);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const started = Date.now();
      await expect(jobs.enqueue([aJob('orders', 'a-1')])).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_500);
      await expect(jobs.counts()).rejects.toThrow();
      await expect(jobs.activeJobs(5)).rejects.toThrow();
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await closeQueue(handle);
      await new Promise((resolve) => setTimeout(resolve, 100));
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('recovers by itself once Redis is back', async () => {
    const redis = new URL(TEST_REDIS_URL);
    const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const test = await createTestQueue();
    const handle = createBullMqQueue({
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      queueName: test.queueName,
      prefix: test.prefix,
    });
    const jobs = new BullMqJobQueue(handle.queue);
    try {
      expect(await jobs.enqueue([aJob('orders', 'a-1')])).toEqual({
        added: 1,
        deduplicated: 0,
        fenced: 0,
      });
      await proxy.stop();
      const started = Date.now();
      await expect(jobs.enqueue([aJob('orders', 'a-2')])).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_500);
      await proxy.start();
      await vi.waitFor(() => jobs.counts(), { timeout: 10_000, interval: 200 });
      expect(await jobs.enqueue([aJob('orders', 'a-3')])).toEqual({
        added: 1,
        deduplicated: 0,
        fenced: 0,
      });
    } finally {
      await closeQueue(handle);
      await proxy.stop();
      await test.cleanup();
    }
  });
});

describe('BullMqJobQueue behind a fence', () => {
  let test: TestQueue;
  let leaseKey: string;
  const lease = (term: number, valid = () => true): Lease => ({
    token: `replica-a:${term}`,
    term,
    isValid: valid,
  });

  beforeEach(async () => {
    test = await createTestQueue();
    leaseKey = `${test.prefix}:${test.queueName}:sync-scheduler:leader`;
    await test.connection.set(leaseKey, 'replica-a:7', 'PX', 60_000);
  });
  afterEach(async () => {
    await test.cleanup();
  });

  /** Every key of the queue but the lease and BullMQ's own meta hash (SCAN: Redis is shared). */
  const storedKeys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await test.connection.scan(cursor, 'MATCH', `${test.prefix}:*`);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found.filter((key) => key !== leaseKey && key !== test.queue.keys.meta);
  };

  // The read said the lease was ours; the key changed before the adds ran. Each add script
  // checks the lease key itself, so nothing lands: no job hash, no deduplication key.
  it('refuses in the add itself when the lease key changed after the read', async () => {
    const fenced: FencedChunk[] = [];
    class HandedOver extends BullMqJobQueue {
      protected override async heldKeys(chunk: readonly SyncJob[], fence?: ReadFence) {
        const held = await super.heldKeys(chunk, fence);
        await test.connection.set(leaseKey, 'replica-b:8', 'PX', 60_000);
        return held;
      }
    }
    const jobs = new HandedOver(test.queue, leaseKey, (info) => fenced.push(info));

    for (const count of [3, 1_500]) {
      await test.connection.set(leaseKey, 'replica-a:7', 'PX', 60_000);
      expect(await jobs.enqueue(agents(count), lease(7))).toEqual({
        added: 0,
        deduplicated: 0,
        fenced: count,
      });
    }
    expect(await storedKeys()).toEqual([]);
    expect(fenced).toEqual(
      [3, 1_500].map((count) => ({
        token: 'replica-a:7',
        term: 7,
        reason: 'lease-key-changed',
        fenced: count,
      })),
    );
  });

  it('reports a chunk refused by the local deadline, and sends nothing', async () => {
    const fenced: FencedChunk[] = [];
    const jobs = new BullMqJobQueue(test.queue, leaseKey, (info) => fenced.push(info));
    const addBulk = vi.spyOn(test.queue, 'addBulk');

    expect(
      await jobs.enqueue(
        agents(3),
        lease(7, () => false),
      ),
    ).toEqual({
      added: 0,
      deduplicated: 0,
      fenced: 3,
    });
    expect(addBulk).not.toHaveBeenCalled();
    expect(await storedKeys()).toEqual([]);
    expect(fenced).toEqual([{ token: 'replica-a:7', term: 7, reason: 'lease-expired', fenced: 3 }]);
  });

  it('counts the deduplicated jobs of the chunks before the refusal', async () => {
    const jobs = new BullMqJobQueue(test.queue, leaseKey);
    await jobs.enqueue(agents(500), lease(7));
    let checks = 0;
    expect(
      await jobs.enqueue(
        agents(2_500),
        lease(7, () => ++checks === 1),
      ),
    ).toEqual({
      added: 500,
      deduplicated: 500,
      fenced: 1_500,
    });
  });

  it('names each job by its producer, its term (m without a fence) and its agent', async () => {
    const jobs = new BullMqJobQueue(test.queue, leaseKey);
    await jobs.enqueue([aJob('orders', 'a:1.x')], lease(7));
    await jobs.enqueue([aJob('ddt', 'a:1.x')]);
    const ids = await Promise.all(
      ['sync-orders-a:1.x', 'sync-ddt-a:1.x'].map((id) => test.queue.getDeduplicationJobId(id)),
    );
    expect(ids.map((id) => decodeJobId(id!))).toEqual([
      { producer: jobs.producer, term: 7, seq: 1, type: 'orders', userId: 'a:1.x' },
      { producer: jobs.producer, term: null, seq: 2, type: 'ddt', userId: 'a:1.x' },
    ]);
    expect(jobs.producer).toMatch(/^[A-Za-z0-9_-]{11}$/);
  });

  it('stores a fenced job exactly as an unfenced one', async () => {
    const jobs = new BullMqJobQueue(test.queue, leaseKey);
    await jobs.enqueue([aJob('orders', 'a-1'), aJob('ddt', 'a-1', 90_000)], lease(7));
    await jobs.enqueue([aJob('orders', 'a-2'), aJob('ddt', 'a-2', 90_000)]);
    const strip = (job: Awaited<ReturnType<Queue['getJob']>>) => ({
      name: job?.name,
      data: { ...job?.data, userId: undefined },
      opts: { ...job?.opts, jobId: undefined, deduplication: undefined },
      priority: job?.priority,
      delay: job?.delay,
    });
    for (const type of ['orders', 'ddt'] as const) {
      const [fencedJob, plainJob] = await Promise.all(
        ['a-1', 'a-2'].map(async (userId) =>
          test.queue.getJob((await test.queue.getDeduplicationJobId(`sync-${type}-${userId}`))!),
        ),
      );
      expect(strip(fencedJob)).toEqual(strip(plainJob));
      expect(await fencedJob?.getState()).toBe(await plainJob?.getState());
    }
  });

  it('rejects a fenced enqueue when it was given no lease key to check', async () => {
    const jobs = new BullMqJobQueue(test.queue);
    await expect(jobs.enqueue(agents(1), lease(7))).rejects.toThrow(/lease key/);
  });
});
