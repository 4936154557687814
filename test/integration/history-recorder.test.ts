import { errorMessage } from '../../src/adapters/error-message.js';
import { type JobsOptions, UnrecoverableError, Worker } from 'bullmq';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryAgentStateStore } from '../../src/adapters/memory/in-memory-agent-state-store.js';
import { InMemorySyncHistory } from '../../src/adapters/memory/in-memory-sync-history.js';
import { PostgresAgentStateStore } from '../../src/adapters/postgres/postgres-agent-state-store.js';
import { PostgresSyncHistory } from '../../src/adapters/postgres/postgres-sync-history.js';
import {
  BullMqHistoryRecorder,
  type HistoryRecorderOptions,
} from '../../src/adapters/queue/bullmq-history-recorder.js';
import { toBulkJob } from '../../src/adapters/queue/bullmq-job.js';
import { encodeJobId } from '../../src/adapters/queue/job-id.js';
import type { OutcomesApplied } from '../../src/domain/ports/agent-state-store.js';
import type { SyncEvent, SyncHistory } from '../../src/domain/ports/sync-history.js';
import type { SyncType } from '../../src/domain/sync-types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createTestQueue, TEST_REDIS_URL, type TestQueue } from '../support/redis.js';
import { eventually } from '../support/service.js';

interface Counter {
  queries: number;
  inserts: number;
}

/** The real pool, counting what goes through it: one replica's share of the database. */
function countingPool(pool: pg.Pool): { pool: pg.Pool; counter: Counter } {
  const counter: Counter = { queries: 0, inserts: 0 };
  const query = (...args: Parameters<pg.Pool['query']>): unknown => {
    counter.queries++;
    if (/^\s*insert/i.test(String(args[0]))) counter.inserts++;
    return (pool.query as (...a: unknown[]) => unknown)(...args);
  };
  const counting = new Proxy(pool, {
    get: (target, property, receiver) =>
      property === 'query' ? query : Reflect.get(target, property, receiver),
  });
  return { pool: counting, counter };
}

/** Sync jobs as the job queue writes them: contract options and a decodable id. */
let seq = 0;
async function addJobs(
  test: TestQueue,
  jobs: readonly { type: SyncType; userId: string }[],
  overrides: JobsOptions = {},
): Promise<string[]> {
  const bulk = jobs.map(({ type, userId }) =>
    toBulkJob(
      { type, userId, timestamp: Date.now() },
      encodeJobId({ producer: 'test-producer', term: 1, seq: ++seq, type, userId }),
    ),
  );
  await test.queue.addBulk(bulk.map((job) => ({ ...job, opts: { ...job.opts, ...overrides } })));
  return bulk.map((job) => job.opts.jobId);
}

const agents = (count: number, from = 0): { type: SyncType; userId: string }[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'orders', userId: `a-${from + i}` }));

describe('BullMqHistoryRecorder', () => {
  let db: TestDatabase;
  let test: TestQueue;
  let worker: Worker | undefined;
  let finished = 0;
  const recorders: BullMqHistoryRecorder[] = [];
  const errors: unknown[] = [];

  const aRecorder = (
    history: SyncHistory,
    options: Partial<HistoryRecorderOptions> = {},
  ): BullMqHistoryRecorder => {
    const recorder = new BullMqHistoryRecorder(test.queue, history, {
      redisUrl: TEST_REDIS_URL,
      queueName: test.queueName,
      prefix: test.prefix,
      onError: (error) => errors.push(error),
      ...options,
    });
    recorders.push(recorder);
    return recorder;
  };

  /** Runs every job at once; agents named `fail-*` fail for good. */
  const startWorker = (): void => {
    worker = new Worker(
      test.queueName,
      async (job) => {
        if (String(job.data.userId).startsWith('fail')) {
          throw new UnrecoverableError('ERP answered 503');
        }
      },
      {
        connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
        prefix: test.prefix,
        concurrency: 50,
      },
    );
    worker.on('completed', () => finished++);
    worker.on('failed', () => finished++);
  };

  const storedCount = async (): Promise<number> => {
    const { rows } = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from system.sync_events',
    );
    return rows[0]?.n ?? 0;
  };

  const allStored = (count: number, timeoutMs = 15_000): Promise<unknown> =>
    eventually(async () => (await storedCount()) >= count || null, timeoutMs);

  beforeEach(async () => {
    errors.length = 0;
    finished = 0;
    db = await createTestDatabase();
    test = await createTestQueue();
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await Promise.all(recorders.splice(0).map((r) => r.close()));
    await test.cleanup();
    await db.drop();
  });

  it('records completed and failed jobs with type, agent, duration and reason', async () => {
    const history = new PostgresSyncHistory(db.pool);
    await aRecorder(history).lead();
    startWorker();

    await addJobs(test, [
      { type: 'orders', userId: 'a-1' },
      { type: 'orders', userId: 'fail-2' },
      { type: 'prices', userId: 'service-account' },
    ]);

    await allStored(3);
    const recent = await history.recent(10);
    const byUser = Object.fromEntries(recent.orders.map((e) => [e.userId, e]));
    expect(byUser['a-1']).toMatchObject({ type: 'orders', success: true, error: null });
    expect(byUser['a-1']?.durationMs).toBeGreaterThanOrEqual(0);
    expect(byUser['fail-2']).toMatchObject({ success: false, error: 'ERP answered 503' });
    expect(recent.prices).toMatchObject([{ userId: 'service-account', success: true }]);
    expect(errors).toEqual([]);
  });

  it('writes through the leading replica only: each outcome once, no queries from the others', async () => {
    const replicas = [1, 2, 3].map(() => countingPool(db.pool));
    const [leader, ...followers] = replicas.map(({ pool }) =>
      aRecorder(new PostgresSyncHistory(pool)),
    );
    await leader?.lead();
    for (const follower of followers) void follower.follow();
    startWorker();

    await addJobs(test, agents(30));

    await allStored(30);
    await new Promise((resolve) => setTimeout(resolve, 500)); // any late duplicate writes
    expect(await storedCount()).toBe(30);
    expect(replicas.map(({ counter }) => counter.queries > 0)).toEqual([true, false, false]);
    expect(replicas[0]?.counter.inserts).toBeLessThan(30); // batched, too
    expect(errors).toEqual([]);
  });

  it('records an outcome whose job BullMQ already removed, from the job id and the event', async () => {
    const history = new PostgresSyncHistory(db.pool);
    await aRecorder(history).lead();
    startWorker();
    const before = Date.now();

    // BullMQ removes such a job in the same script that announces its outcome.
    await addJobs(test, [{ type: 'customers', userId: 'agent/ü 7' }], { removeOnComplete: true });
    await addJobs(test, [{ type: 'ddt', userId: 'fail-1' }], { removeOnFail: true });
    await eventually(() => finished === 2 || null);
    expect(await test.queue.getJobCounts('completed', 'failed')).toEqual({
      completed: 0,
      failed: 0,
    });

    await allStored(2);
    const recent = await history.recent(10);
    expect(recent.customers).toMatchObject([
      { userId: 'agent/ü 7', success: true, error: null, durationMs: null },
    ]);
    expect(recent.ddt).toMatchObject([
      { userId: 'fail-1', success: false, error: 'ERP answered 503', durationMs: null },
    ]);
    for (const event of [...recent.customers, ...recent.ddt]) {
      expect(event.finishedAt).toBeGreaterThanOrEqual(before - 1);
      expect(event.finishedAt).toBeLessThanOrEqual(Date.now());
    }
  });

  it('skips jobs whose id this service did not write', async () => {
    const history = new PostgresSyncHistory(db.pool);
    await aRecorder(history).lead();
    startWorker();

    // Shaped like a sync job in every way but its id (today's `<prefix>-<counter>` ids).
    const foreign = toBulkJob({ type: 'orders', userId: 'a-1', timestamp: Date.now() }, 'x-1');
    await test.queue.add(foreign.name, foreign.data, foreign.opts);
    await addJobs(test, [{ type: 'orders', userId: 'a-2' }]);

    await allStored(1);
    await eventually(() => finished === 2 || null);
    await new Promise((resolve) => setTimeout(resolve, 400)); // past a flush delay
    expect((await history.recent(10)).orders.map((e) => e.userId)).toEqual(['a-2']);
  });

  it('writes 1,000 outcomes in a handful of statements, not one each', async () => {
    const { pool, counter } = countingPool(db.pool);
    await aRecorder(new PostgresSyncHistory(pool)).lead();
    startWorker();

    await addJobs(test, agents(1_000));

    await allStored(1_000, 30_000);
    expect(await storedCount()).toBe(1_000);
    expect(counter.inserts).toBeLessThanOrEqual(50);
    expect(errors).toEqual([]);
  });

  it('hands over without losing or doubling an outcome: the next leader resumes from the cursor', async () => {
    const history = new PostgresSyncHistory(db.pool);
    const first = aRecorder(history);
    const second = aRecorder(history);
    await first.lead();
    startWorker();
    await addJobs(test, agents(20));
    await allStored(20);

    await first.follow();
    await addJobs(test, agents(25, 20)); // finish while nobody leads
    await eventually(() => finished === 45 || null, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await storedCount()).toBe(20);

    await second.lead();
    await addJobs(test, agents(5, 45));

    await allStored(50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await storedCount()).toBe(50);
    expect(errors).toEqual([]);
  });

  it('leaves what it could not write to the next leader, which records it once', async () => {
    const history = new InMemorySyncHistory();
    const first = aRecorder(history, { retryInitialMs: 10, retryMaxMs: 20 });
    const second = aRecorder(history);
    await first.lead();
    startWorker();
    await addJobs(test, agents(3));
    await eventually(async () => (await history.recent(10)).orders.length === 3 || null);

    history.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    await addJobs(test, agents(7, 3));
    await eventually(() => finished === 10 || null);
    await eventually(() => first.backlog() === 7 || null);
    await first.follow(); // its last attempt fails too: nothing written, the cursor stays
    history.failWith(null);

    await second.lead();

    await eventually(async () => (await history.recent(50)).orders.length === 10 || null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await history.recent(50)).orders).toHaveLength(10);
    expect(errors).toHaveLength(1);
  });

  it('says so when the stream was trimmed past its cursor while nobody led', async () => {
    const history = new PostgresSyncHistory(db.pool);
    const recorder = aRecorder(history);
    await recorder.lead();
    startWorker();
    await addJobs(test, agents(2));
    await allStored(2);
    await recorder.follow();

    await addJobs(test, agents(10, 2));
    await eventually(() => finished === 12 || null);
    await test.connection.xtrim(test.queue.toKey('events'), 'MAXLEN', 5);
    await recorder.lead();

    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('trimmed past the history cursor');
  });

  it('takes leadership back where it left off after following', async () => {
    const history = new PostgresSyncHistory(db.pool);
    const recorder = aRecorder(history);
    await recorder.lead();
    startWorker();
    await addJobs(test, agents(5));
    await allStored(5);

    await recorder.follow();
    await addJobs(test, agents(5, 5));
    await eventually(() => finished === 10 || null);
    await recorder.lead();

    await allStored(10);
  });

  it('stops reading while the database is down, keeps the backlog bounded, and loses nothing', async () => {
    const history = new InMemorySyncHistory();
    const recorded: SyncEvent[][] = [];
    const spy: SyncHistory = {
      record: (event) => history.record(event),
      recordMany: async (events) => {
        const inserted = await history.recordMany(events);
        recorded.push([...events]);
        return inserted;
      },
      recent: (limit) => history.recent(limit),
      recordDecisions: (decisions) => history.recordDecisions(decisions),
      recentDecisions: (limit) => history.recentDecisions(limit),
      chartSlots: (...args) => history.chartSlots(...args),
      agentOutcomes: (userId, limit) => history.agentOutcomes(userId, limit),
      prune: () => history.prune(),
    };
    history.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const recorder = aRecorder(spy, {
      batchSize: 20,
      flushDelayMs: 20,
      maxBuffered: 50,
      readCount: 10,
      retryInitialMs: 10,
      retryMaxMs: 50,
    });
    await recorder.lead();
    startWorker();

    await addJobs(test, agents(300));
    await eventually(() => finished === 300 || null, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // many failed retries

    expect(recorder.backlog()).toBeLessThanOrEqual(50 + 10);
    expect(errors).toHaveLength(1); // once per streak, not once per retry
    expect(errorMessage(errors[0])).toContain('ECONNREFUSED');

    history.failWith(null);

    await eventually(async () => (await history.recent(500)).orders.length === 300 || null);
    expect(Math.max(...recorded.map((batch) => batch.length))).toBeLessThanOrEqual(20);
    // A batch leaves the buffer only after its cursor moved, a moment after its rows landed.
    await eventually(() => recorder.backlog() === 0 || null, 5_000);
  });

  describe('with the agent state', () => {
    const orders = (...userIds: string[]) =>
      userIds.map((userId) => ({ type: 'orders' as const, userId }));

    /** One cycle at a time: a pending job holds its deduplication key until it finishes. */
    const cycles = async (count: number, userIds: string[]): Promise<void> => {
      for (let cycle = 1; cycle <= count; cycle++) {
        await addJobs(test, orders(...userIds), { attempts: 1 });
        await eventually(() => finished === cycle * userIds.length || null, 10_000);
      }
    };

    it("opens a-2's orders breaker after its third failure, with the worker's error as reason", async () => {
      worker = new Worker(
        test.queueName,
        async (job) => {
          if (job.data.userId === 'a-2') throw new Error('ERP refused the login of a-2');
        },
        { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix: test.prefix },
      );
      worker.on('completed', () => finished++);
      worker.on('failed', () => finished++);
      const agentState = new PostgresAgentStateStore(db.pool);
      const changes: OutcomesApplied[] = [];
      await aRecorder(new PostgresSyncHistory(db.pool), {
        agentState,
        onBreakerChange: (applied) => changes.push(applied),
        flushDelayMs: 20,
      }).lead();

      await cycles(3, ['a-1', 'a-2', 'a-3']);

      await allStored(9);
      const a2 = await eventually(async () => {
        const [pair] = await agentState.agent('a-2');
        return pair?.breaker === 'open' ? pair : null;
      });
      expect(a2).toMatchObject({
        consecutiveFailures: 3,
        lastFailureReason: 'ERP refused the login of a-2',
        lastCompletedAt: null,
      });
      expect(a2?.recentFailures).toHaveLength(3);
      expect(a2?.lastStartedAt).toBeGreaterThan(0);
      for (const userId of ['a-1', 'a-3']) {
        const [pair] = await agentState.agent(userId);
        expect(pair).toMatchObject({ breaker: 'closed', consecutiveFailures: 0 });
        expect(pair?.lastCompletedAt).toBeGreaterThan(0);
        expect(pair?.lastStartedAt).toBeGreaterThan(0);
      }
      const opened = changes.flatMap((applied) => applied.pairsChanged);
      expect(opened.map((pair) => [pair.userId, pair.breaker])).toEqual([['a-2', 'open']]);
      expect(await agentState.openCounts()).toMatchObject({ orders: 1 });
      expect(errors).toEqual([]);
    });

    it('applies each outcome once: a failed agent-state write is retried without the history', async () => {
      startWorker();
      const history = new InMemorySyncHistory();
      const agentState = new InMemoryAgentStateStore();
      const recorder = aRecorder(history, {
        agentState,
        flushDelayMs: 20,
        retryInitialMs: 10,
        retryMaxMs: 20,
      });
      await recorder.lead();
      await cycles(1, ['fail-1']);
      await eventually(
        async () => (await agentState.agent('fail-1'))[0]?.consecutiveFailures === 1 || null,
        15_000,
      );

      agentState.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      await cycles(1, ['fail-1']);
      await eventually(async () => (await history.recent(10)).orders.length === 2 || null, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // a few failed retries
      agentState.failWith(null);

      await eventually(() => recorder.backlog() === 0 || null, 15_000);
      await recorder.follow();
      const second = aRecorder(history, { agentState }); // a replay from the cursor adds nothing
      await second.lead();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await agentState.agent('fail-1'))[0]?.consecutiveFailures).toBe(2);
      expect(errors).toHaveLength(1);
    });
  });
});
