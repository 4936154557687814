import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import { AGENT_SYNC_TYPES, SHARED_SYNC_TYPES, SYNC_PRIORITY } from '../../src/domain/sync-types.js';
import type { Service } from '../../src/service.js';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import {
  aPrefix,
  createTestService,
  deletePrefix,
  eventually,
  testConfig,
} from '../support/service.js';

const PENDING = ['waiting', 'prioritized', 'delayed'] as const;

describe('Service on real PostgreSQL and Redis', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  const services: Service[] = [];

  const boot = async (clock?: ManualClock) => {
    const { service, logs } = createTestService(testConfig(db.url, prefix), clock);
    services.push(service);
    await service.start();
    return { service, logs };
  };
  const pendingJobs = () => queue.getJobs([...PENDING], 0, -1);
  const metric = async (service: Service, name: string) =>
    (await service.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];

  beforeEach(async () => {
    db = await createTestDatabase({ migrate: false });
    prefix = aPrefix();
    queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
  });

  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
    await queue.close();
    await deletePrefix(prefix);
    await db.drop();
  });

  it('boots on an empty database: migrates, seeds the intervals and starts with them', async () => {
    const { service, logs } = await boot();
    const { rows } = await db.pool.query<{ sync_type: string; interval_minutes: number }>(
      'select sync_type, interval_minutes from system.sync_settings',
    );
    expect(Object.fromEntries(rows.map((r) => [r.sync_type, r.interval_minutes]))).toEqual(
      DEFAULT_INTERVALS,
    );
    expect(service.scheduler.isRunning()).toBe(true);
    expect(service.scheduler.getDetailedIntervals()).toEqual(DEFAULT_INTERVALS);
    expect(logs.map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/^scheduler started with intervals \(minutes\) \{"orders":10,/),
    );
    const tables = await db.pool.query(
      "select 1 from information_schema.tables where table_schema = 'agents' and table_name = 'users'",
    );
    expect(tables.rowCount).toBe(1);
    // The table it created has no activity column: said once, at boot.
    expect(logs.filter((l) => l.component === 'agent-registry').map((l) => l.msg)).toEqual([
      'agents.users has no column last_activity_at: every agent counts as active for the activity tiers',
    ]);
  });

  it('keeps a changed interval across a restart', async () => {
    const first = await boot();
    await first.service.useCases.updateInterval.execute({ type: 'orders', intervalMinutes: 12 });
    await first.service.stop();
    const second = await boot();
    expect(second.service.scheduler.getDetailedIntervals().orders).toBe(12);
  });

  it('puts one contract job per whitelisted agent and type into Redis, and dedups the next tick', async () => {
    await db.pool.query('select 1'); // database exists; schema comes with the boot below
    const clock = new ManualClock(Date.now());
    const { service } = await boot(clock);
    await insertAgents(db.pool, [
      { id: 'a-1', username: 'anna' },
      { id: 'a-2', username: 'bruno' },
      { id: 'a-3', username: 'carla' },
      { id: 'x-9', username: 'zed', whitelisted: false },
    ]);
    // Leading is not enough: setLeader(true) first reloads the last runs, then schedules.
    await eventually(() => service.scheduler.scheduleOf('orders').nextRunAt !== null);
    await clock.advanceAndSettle(0); // every type never ran: all fire now, together
    const jobs = await eventually(async () => {
      const found = await pendingJobs();
      return found.length === 4 * 3 + 2 ? found : null;
    }).then((found) => found ?? []);
    for (const type of AGENT_SYNC_TYPES) {
      expect(
        jobs
          .filter((j) => j.name === `sync-${type}`)
          .map((j) => j.data.userId)
          .sort(),
      ).toEqual(['a-1', 'a-2', 'a-3']);
    }
    for (const type of SHARED_SYNC_TYPES) {
      expect(jobs.filter((j) => j.name === `sync-${type}`).map((j) => j.data.userId)).toEqual([
        'service-account',
      ]);
    }
    const order = jobs.find((j) => j.name === 'sync-orders' && j.data.userId === 'a-2');
    expect(order?.data).toEqual({
      type: 'sync-orders',
      userId: 'a-2',
      data: {},
      timestamp: clock.now(),
    });
    expect(order?.opts).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 50 },
      priority: SYNC_PRIORITY.orders,
      deduplication: { id: 'sync-orders-a-2' },
    });

    // Four agent types fired in the same instant: one query reached PostgreSQL.
    const lookups = await metric(service, 'sync_scheduler_agent_lookups_total');
    expect(lookups.find((v) => v.labels.outcome === 'miss')?.value).toBe(1);
    expect(lookups.find((v) => v.labels.outcome === 'shared')?.value).toBe(3);

    await clock.advanceAndSettle(10 * 60_000); // orders again, while its jobs still wait
    await eventually(async () => {
      const dedup = await metric(service, 'sync_scheduler_jobs_deduplicated_total');
      return dedup.find((v) => v.labels.type === 'orders')?.value === 3;
    });
    expect(await pendingJobs()).toHaveLength(14);
  });
});
