import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../../src/adapters/http/auth.js';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import type { Service } from '../../src/service.js';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import {
  aPrefix,
  callAdminApi,
  createTestService,
  deletePrefix,
  eventually,
  TEST_JWT_SECRET,
  testConfig,
} from '../support/service.js';

const MINUTE = 60_000;
const AGENTS = ['a-1', 'a-2', 'a-3'];
const ERP_DOWN = 'ERP refused the login: account locked';

type FailRule = (name: string, userId: string) => boolean;

/**
 * A real service (manual clock: ticks happen when the test says), real PostgreSQL and Redis,
 * and a real BullMQ worker whose answers the test decides: `failing` from the boot cycle on
 * (the worker may take the boot cycle's jobs before aFleet returns), then `failWhen`.
 */
async function aFleet(failing: FailRule = () => false) {
  const db: TestDatabase = await createTestDatabase();
  await insertAgents(
    db.pool,
    AGENTS.map((id) => ({ id, username: `user-${id}` })),
  );
  const prefix = aPrefix();
  const clock = new ManualClock(Date.now());
  const { service, logs } = createTestService(testConfig(db.url, prefix), clock);
  const queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
  let fails: FailRule = failing;
  const processed: { name: string; userId: string; ok: boolean }[] = [];
  const worker = new Worker(
    'operations',
    async (job) => {
      const userId = String(job.data.userId);
      const ok = !fails(job.name, userId);
      processed.push({ name: job.name, userId, ok });
      // Unrecoverable: a final failure at once, where a retried attempt waits out its backoff.
      if (!ok) throw new UnrecoverableError(ERP_DOWN);
    },
    { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix, concurrency: 8 },
  );
  // Spread delays hold agent jobs for up to a minute of real time: release them at once.
  const promoter = setInterval(() => void queue.promoteJobs().catch(() => {}), 50);
  await service.start();
  await eventually(() => service.scheduler.isLeader(), 10_000);
  await clock.advanceAndSettle(0); // nothing ran yet: every type's first tick is due now
  const token = await signToken(TEST_JWT_SECRET);
  const api = (method: string, path: string, body?: unknown) =>
    callAdminApi(`http://127.0.0.1:${service.port}`, token, method, path, body);
  /** Waits until the worker processed `count` more jobs and the writer recorded them. */
  const settled = async (before: number, count: number) => {
    await eventually(() => processed.length >= before + count, 15_000);
    await eventually(async () => {
      const { rows } = await db.pool.query<{ n: string }>(
        'select count(*) n from system.sync_events',
      );
      return Number(rows[0]?.n) >= before + count;
    }, 15_000);
  };
  const cleanup = async () => {
    clearInterval(promoter);
    await worker.close();
    await service.stop();
    await queue.close();
    await deletePrefix(prefix);
    await db.drop();
  };
  return {
    db,
    clock,
    service: service as Service,
    logs,
    processed,
    api,
    settled,
    cleanup,
    failWhen: (rule: FailRule) => (fails = rule),
  };
}

type Fleet = Awaited<ReturnType<typeof aFleet>>;
const ordersOf = (fleet: Fleet, from: number) =>
  fleet.processed
    .slice(from)
    .filter((p) => p.name === 'sync-orders')
    .map((p) => p.userId)
    .sort();

describe('breakers with a real worker', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.cleanup();
    fleet = undefined;
  });

  it('stops enqueueing an agent whose syncs keep failing, lists it with the reason, and a reset brings it back', async () => {
    // Failing from the boot cycle on: set after boot, the rule could miss a-2's first job.
    fleet = await aFleet((_, userId) => userId === 'a-2');
    const f = fleet;
    // The first cycle ran at boot (nothing had run): 4 agent types x 3 agents + 2 shared.
    await f.settled(0, 14);
    for (let cycle = 2; cycle <= 3; cycle++) {
      const before = f.processed.length;
      await f.clock.advanceAndSettle(10 * MINUTE);
      await f.settled(before, 3);
      expect(ordersOf(f, before)).toEqual(AGENTS);
    }
    // Three consecutive failures: a-2's orders breaker is open.
    await eventually(
      async () => (await f.api('GET', '/agents?state=open&type=orders')).body.agents?.length === 1,
      10_000,
    );
    const open = (await f.api('GET', '/agents?state=open&type=orders')).body.agents;
    expect(open).toMatchObject([
      {
        type: 'orders',
        userId: 'a-2',
        breaker: 'open',
        consecutiveFailures: 3,
        lastFailureReason: ERP_DOWN,
      },
    ]);

    // Cycle 4: everyone but a-2.
    let before = f.processed.length;
    await f.clock.advanceAndSettle(10 * MINUTE);
    await f.settled(before, 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ordersOf(f, before)).toEqual(['a-1', 'a-3']);
    const tick = f.logs.filter((l) => l.event === 'tick' && l.type === 'orders').at(-1);
    expect(tick).toMatchObject({ enqueued: 2, skippedBreaker: 1 });

    // The operator fixes the account and resets the agent: it is sent again on the next tick.
    f.failWhen(() => false);
    const reset = await f.api('POST', '/agents/a-2/reset');
    expect(reset.status).toBe(200);
    before = f.processed.length;
    await f.clock.advanceAndSettle(10 * MINUTE);
    await f.settled(before, 3);
    expect(ordersOf(f, before)).toEqual(AGENTS);
    await eventually(async () => {
      const rows = (await f.api('GET', '/agents/a-2')).body.rows as {
        type: string;
        breaker: string;
        lastCompletedAt: number | null;
      }[];
      const orders = rows.find((r) => r.type === 'orders');
      return orders?.breaker === 'closed' && orders.lastCompletedAt !== null;
    }, 10_000);
  }, 90_000);

  it('opens the ERP breaker when most syncs fail, enqueues nothing, and a probe closes it once the worker recovers', async () => {
    fleet = await aFleet();
    const f = fleet;
    await f.settled(0, 14); // the boot cycle succeeds
    f.failWhen(() => true);
    // One manual round for every type fails: 14 failures beside the boot cycle's 14 successes,
    // half of 28 outcomes within minutes.
    const before = f.processed.length;
    for (const type of ['orders', 'customers', 'ddt', 'invoices', 'products', 'prices']) {
      expect((await f.api('POST', `/trigger/${type}`)).status).toBe(202);
    }
    await f.settled(before, 14);
    await eventually(
      async () => (await f.api('GET', '/erp-breaker')).body.state === 'open',
      10_000,
    );
    expect(f.logs.map((l) => String(l.msg))).toContainEqual(
      expect.stringMatching(/^ERP breaker open until/),
    );

    // While open, a trigger for every agent enqueues nothing and says so.
    const held = await f.api('POST', '/trigger/orders');
    expect(held.body).toMatchObject({ enqueued: 0, skippedBreaker: 3 });
    const monitoring = await f.api('GET', '/monitoring/status');
    expect(monitoring.body.erpBreaker).toMatchObject({ state: 'open' });
    expect(monitoring.body.types.orders.health).toBe('degraded');

    // The worker recovers; after the cool-down the next tick sends one small probe batch.
    f.failWhen(() => false);
    const beforeProbe = f.processed.length;
    await f.clock.advanceAndSettle(10 * MINUTE);
    await f.settled(beforeProbe, 3);
    await eventually(
      async () => (await f.api('GET', '/erp-breaker')).body.state === 'closed',
      10_000,
    );
    const probeTick = f.logs.filter((l) => l.event === 'tick' && l.type === 'orders').at(-1);
    expect(probeTick).toMatchObject({ enqueued: 3 });
  }, 90_000);
});
