import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresSyncHistory } from '../../src/adapters/postgres/postgres-sync-history.js';
import { BullMqHistoryRecorder } from '../../src/adapters/queue/bullmq-history-recorder.js';
import { BullMqJobQueue } from '../../src/adapters/queue/bullmq-job-queue.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createTestQueue, TEST_REDIS_URL, type TestQueue } from '../support/redis.js';
import { eventually } from '../support/service.js';

describe('BullMqHistoryRecorder', () => {
  let db: TestDatabase;
  let test: TestQueue;
  let worker: Worker;
  const recorders: BullMqHistoryRecorder[] = [];
  const errors: unknown[] = [];

  const aRecorder = (history: PostgresSyncHistory) => {
    const recorder = new BullMqHistoryRecorder(test.queue, history, {
      redisUrl: TEST_REDIS_URL,
      queueName: test.queueName,
      prefix: test.prefix,
      onError: (error) => errors.push(error),
    });
    recorders.push(recorder);
    recorder.start();
    return recorder;
  };

  beforeEach(async () => {
    errors.length = 0;
    db = await createTestDatabase();
    test = await createTestQueue();
  });

  afterEach(async () => {
    await worker?.close();
    await Promise.all(recorders.splice(0).map((r) => r.close()));
    await test.cleanup();
    await db.drop();
  });

  it('records completed and failed jobs, whichever worker ran them, once each across replicas', async () => {
    const history = new PostgresSyncHistory(db.pool);
    aRecorder(history);
    aRecorder(history); // a second replica following the same stream
    await new Promise((resolve) => setTimeout(resolve, 300)); // both stream readers attached
    worker = new Worker(
      test.queueName,
      async (job) => {
        // Final at once; a retryable error would only be an outcome after three attempts.
        if (job.data.userId === 'a-2') throw new UnrecoverableError('ERP answered 503');
      },
      { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix: test.prefix },
    );
    const now = Date.now();
    await new BullMqJobQueue(test.queue).enqueue([
      { type: 'orders', userId: 'a-1', timestamp: now },
      { type: 'orders', userId: 'a-2', timestamp: now },
      { type: 'prices', userId: 'service-account', timestamp: now },
    ]);
    const recent = await eventually(async () => {
      const events = await history.recent(10);
      return events.orders.length === 2 && events.prices.length === 1 ? events : null;
    }, 10_000);
    const byUser = Object.fromEntries((recent?.orders ?? []).map((e) => [e.userId, e]));
    expect(byUser['a-1']).toMatchObject({ type: 'orders', success: true, error: null });
    expect(byUser['a-1']?.durationMs).toBeGreaterThanOrEqual(0);
    expect(byUser['a-2']).toMatchObject({
      type: 'orders',
      success: false,
      error: 'ERP answered 503',
    });
    expect(recent?.prices).toMatchObject([{ userId: 'service-account', success: true }]);
    const { rows } = await db.pool.query<{ n: string }>(
      'select count(*) as n from system.sync_events',
    );
    expect(Number(rows[0]?.n)).toBe(3);
    expect(errors).toEqual([]);
  });
});
