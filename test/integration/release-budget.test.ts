import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import type { Service } from '../../src/service.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import {
  aPrefix,
  createTestService,
  deletePrefix,
  eventually,
  testConfig,
} from '../support/service.js';

const AGENTS = 1_000;
const MAX_IN_FLIGHT = 50;
/** A scheduler minute of 1 s: orders' 10-minute interval is a 10 s cycle. */
const MINUTE_MS = 1_000;

/**
 * The real service with ERP_MAX_IN_FLIGHT=50 over 1,000 agents, real PostgreSQL and Redis, and
 * a real BullMQ worker: only orders is enabled, so one cycle is 1,000 jobs.
 */
describe('the release budget with a real worker', () => {
  let db: TestDatabase;
  let prefix: string;
  let service: Service;
  let queue: Queue;
  let worker: Worker;
  let sampler: NodeJS.Timeout;
  const processed: string[] = [];
  const samples: number[] = [];
  let firstTickAt = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(
      `insert into agents.users (id, username)
       select 'agent-' || lpad(i::text, 4, '0'), 'user-' || i from generate_series(1, $1) i`,
      [AGENTS],
    );
    prefix = aPrefix();
    const config = testConfig(db.url, prefix, {
      ERP_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
      SCHEDULER_MINUTE_MS: String(MINUTE_MS),
    });
    queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
    // What the queue holds, every 10 ms, from the queue itself.
    sampler = setInterval(() => {
      void queue
        .getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'waiting-children')
        .then((counts) => samples.push(Object.values(counts).reduce((a, b) => a + b, 0)))
        .catch(() => {});
    }, 10);
    worker = new Worker(
      'operations',
      async (job) => {
        processed.push(`${job.name}/${String(job.data.userId)}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
      { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix, concurrency: 20 },
    );
    // Every type but orders paused before the service boots.
    await runMigrations(db.url, () => {});
    await db.pool.query(`update system.sync_settings set enabled = (sync_type = 'orders')`);
    ({ service } = createTestService(config));
    firstTickAt = Date.now();
    await service.start();
  }, 60_000);

  afterAll(async () => {
    clearInterval(sampler);
    await worker?.close();
    await service?.stop();
    await queue?.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  it('never lets the queue hold more than 50 jobs and processes every pair once in the cycle', async () => {
    await eventually(() => processed.length >= AGENTS, 9_000);
    const cycleMs = Date.now() - firstTickAt;
    expect(cycleMs).toBeLessThan(10 * MINUTE_MS);
    expect(processed.every((name) => name.startsWith('sync-orders/'))).toBe(true);
    expect(new Set(processed).size).toBe(processed.length);
    expect(new Set(processed).size).toBe(AGENTS);
    expect(samples.length).toBeGreaterThan(50);
    expect(Math.max(...samples)).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // The held pairs were each counted once as deferred_budget.
    const deferred = await eventually(async () => {
      const { rows } = await db.pool.query<{ n: string }>(
        `select coalesce(sum(count), 0) n from system.sync_decisions where class = 'deferred_budget'`,
      );
      return Number(rows[0]?.n) || undefined;
    }, 5_000);
    expect(deferred).toBe(AGENTS - MAX_IN_FLIGHT);
  }, 30_000);
});
