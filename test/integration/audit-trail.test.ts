import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signToken } from '../../src/adapters/http/auth.js';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { PostgresAgentStateStore } from '../../src/adapters/postgres/postgres-agent-state-store.js';
import type { Service } from '../../src/service.js';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import {
  aPrefix,
  createTestService,
  deletePrefix,
  TEST_JWT_SECRET,
  testConfig,
} from '../support/service.js';

const WINDOW = { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Rome' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface AuditRow {
  actor: string | null;
  role: string;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

/**
 * The real service on real PostgreSQL and Redis: every change kind lands in system.audit_log
 * with the change, and only with it. A manual clock that never moves keeps the ticks still,
 * so the only jobs in the queue are the triggers'.
 */
describe('the audit trail on PostgreSQL', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let service: Service;
  let logs: Record<string, unknown>[];
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = aPrefix();
    queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
    await insertAgents(db.pool, [
      { id: 'a-1', username: 'anna' },
      { id: 'a-2', username: 'bruno' },
    ]);
    ({ service, logs } = createTestService(
      testConfig(db.url, prefix),
      new ManualClock(Date.now()),
    ));
    await service.start();
    token = await signToken(TEST_JWT_SECRET, { subject: 'ops@example.test' });
  });

  afterAll(async () => {
    await service?.stop();
    await queue?.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  beforeEach(async () => {
    await db.pool.query('truncate system.audit_log');
  });

  const call = async (method: string, path: string, body?: unknown, requestId?: string) => {
    const res = await fetch(`http://127.0.0.1:${service.port}/api/sync${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(requestId && { 'x-request-id': requestId }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.status,
      requestId: res.headers.get('x-request-id'),
      body: (await res.json()) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    };
  };
  const rows = async () =>
    (
      await db.pool.query<AuditRow>(
        `select actor, role, action, target, before, after, request_id
         from system.audit_log order by id`,
      )
    ).rows;
  const ordersInterval = async () =>
    (
      await db.pool.query<{ interval_minutes: number }>(
        `select interval_minutes from system.sync_settings where sync_type = 'orders'`,
      )
    ).rows[0]?.interval_minutes;

  it('records every kind of change with who, what, before, after and the request id', async () => {
    const steps: [string, string, unknown?][] = [
      ['POST', '/auto-sync/stop'],
      ['POST', '/auto-sync/start'],
      ['POST', '/intervals/orders', { intervalMinutes: 25, idleMultiplier: 2 }],
      ['POST', '/pause/invoices'],
      ['POST', '/resume/invoices'],
      ['PUT', '/windows/ddt', WINDOW],
      ['DELETE', '/windows/ddt'],
      ['POST', '/trigger/orders'],
      ['POST', '/trigger/customers', { userId: 'a-2' }],
    ];
    for (const [i, [method, path, body]] of steps.entries()) {
      const res = await call(method, path, body, `step-${i}`);
      expect(res.status, path).toBeLessThan(300);
      expect(res.requestId).toBe(`step-${i}`);
    }
    const who = { actor: 'ops@example.test', role: 'admin' };
    expect(await rows()).toEqual([
      {
        ...who,
        action: 'auto-sync.stop',
        target: null,
        before: { running: true },
        after: { running: false },
        request_id: 'step-0',
      },
      {
        ...who,
        action: 'auto-sync.start',
        target: null,
        before: { running: false },
        after: { running: true },
        request_id: 'step-1',
      },
      {
        ...who,
        action: 'settings.update',
        target: 'orders',
        before: { intervalMinutes: 10, idleMultiplier: 4 },
        after: { intervalMinutes: 25, idleMultiplier: 2 },
        request_id: 'step-2',
      },
      {
        ...who,
        action: 'sync.pause',
        target: 'invoices',
        before: { enabled: true },
        after: { enabled: false },
        request_id: 'step-3',
      },
      {
        ...who,
        action: 'sync.resume',
        target: 'invoices',
        before: { enabled: false },
        after: { enabled: true },
        request_id: 'step-4',
      },
      {
        ...who,
        action: 'window.set',
        target: 'ddt',
        before: { window: null },
        after: { window: WINDOW },
        request_id: 'step-5',
      },
      {
        ...who,
        action: 'window.clear',
        target: 'ddt',
        before: { window: WINDOW },
        after: { window: null },
        request_id: 'step-6',
      },
      {
        ...who,
        action: 'trigger',
        target: 'orders',
        before: null,
        after: {
          userId: null,
          enqueued: 2,
          deduplicated: 0,
          skippedBreaker: 0,
          bypassedBreaker: false,
          deferredBudget: 0,
        },
        request_id: 'step-7',
      },
      {
        ...who,
        action: 'trigger',
        target: 'customers',
        before: null,
        after: expect.objectContaining({ userId: 'a-2', enqueued: 1 }),
        request_id: 'step-8',
      },
    ]);
    // The triggers' jobs are really in Redis.
    expect(await queue.getJobs(['waiting', 'prioritized', 'delayed'])).toHaveLength(3);
  });

  it('records an agent reset with the breakers it closed, in the same statement', async () => {
    const store = new PostgresAgentStateStore(db.pool);
    const failure = (at: number) => ({
      type: 'orders' as const,
      userId: 'a-1',
      success: false,
      at,
      reason: 'ERP refused the login',
    });
    await store.recordOutcomes([failure(1_000), failure(2_000), failure(3_000)], Date.now());
    const res = await call('POST', '/agents/a-1/reset', undefined, 'reset-1');
    expect(res.body).toMatchObject({ userId: 'a-1', reset: 1 });
    expect(await rows()).toEqual([
      {
        actor: 'ops@example.test',
        role: 'admin',
        action: 'agent.reset',
        target: 'a-1',
        before: { orders: { breaker: 'open', consecutiveFailures: 3, recentFailures: 3 } },
        after: { orders: { breaker: 'closed', consecutiveFailures: 0, recentFailures: 0 } },
        request_id: 'reset-1',
      },
    ]);
  });

  describe('one transaction: the change and its row land together or not at all', () => {
    const refuse = (check: string) =>
      db.pool.query(
        `alter table system.audit_log add constraint refuse check (${check}) not valid`,
      );
    const allow = () => db.pool.query('alter table system.audit_log drop constraint refuse');

    it('a settings change whose row cannot be inserted is rolled back (500)', async () => {
      const version = service.scheduler.version();
      await refuse(`target is distinct from 'orders'`);
      try {
        const res = await call('POST', '/intervals/orders', { intervalMinutes: 45 });
        expect(res.status).toBe(500);
        expect(await ordersInterval()).toBe(25);
        expect(service.scheduler.settingsOf('orders').intervalMinutes).toBe(25);
        expect(service.scheduler.version()).toBe(version);
        // Another type's change is unaffected.
        expect((await call('POST', '/intervals/ddt', { intervalMinutes: 45 })).status).toBe(200);
      } finally {
        await allow();
      }
      expect((await rows()).map((r) => r.target)).toEqual(['ddt']);
    });

    it('an agent reset whose row cannot be inserted is rolled back (500)', async () => {
      const store = new PostgresAgentStateStore(db.pool);
      await store.recordOutcomes(
        [1, 2, 3].map((at) => ({
          type: 'ddt' as const,
          userId: 'a-2',
          success: false,
          at,
          reason: 'locked',
        })),
        Date.now(),
      );
      await refuse(`action <> 'agent.reset'`);
      try {
        expect((await call('POST', '/agents/a-2/reset')).status).toBe(500);
      } finally {
        await allow();
      }
      const ddt = (await store.agent('a-2')).find((pair) => pair.type === 'ddt');
      expect(ddt).toMatchObject({ breaker: 'open', consecutiveFailures: 3 });
      expect(await rows()).toEqual([]);
    });

    it('a change that fails writes no row', async () => {
      await db.pool.query(
        `alter table system.sync_settings add constraint no_77 check (interval_minutes <> 77) not valid`,
      );
      try {
        expect((await call('POST', '/intervals/orders', { intervalMinutes: 77 })).status).toBe(500);
      } finally {
        await db.pool.query('alter table system.sync_settings drop constraint no_77');
      }
      expect(await rows()).toEqual([]);
      expect(await ordersInterval()).toBe(25);
    });

    it('a trigger whose row cannot be inserted still answers (its jobs went out) and logs an error', async () => {
      await queue.obliterate({ force: true });
      await refuse(`action <> 'trigger'`);
      try {
        const res = await call('POST', '/trigger/orders', undefined, 'trig-9');
        expect(res.status).toBe(202);
        expect(res.body.enqueued).toBe(2);
      } finally {
        await allow();
      }
      expect(await rows()).toEqual([]);
      expect(logs.find((l) => l.event === 'audit_failed')).toMatchObject({
        level: 50,
        requestId: 'trig-9',
        actor: 'ops@example.test',
        type: 'orders',
      });
    });
  });

  describe('GET /audit', () => {
    it('pages newest first and filters by actor and action', async () => {
      const other = await signToken(TEST_JWT_SECRET, { subject: 'bob' });
      for (const type of ['orders', 'ddt', 'prices']) await call('POST', `/pause/${type}`);
      for (const type of ['orders', 'ddt']) {
        await fetch(`http://127.0.0.1:${service.port}/api/sync/resume/${type}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${other}` },
        });
      }
      const seen: string[] = [];
      let query = '?limit=2';
      for (let page = 0; page < 5; page++) {
        const res = await call('GET', `/audit${query}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.entries.map((e: AuditRow) => `${e.action} ${e.target}`));
        if (res.body.nextCursor === null) break;
        query = `?limit=2&cursor=${encodeURIComponent(res.body.nextCursor)}`;
      }
      expect(seen).toEqual([
        'sync.resume ddt',
        'sync.resume orders',
        'sync.pause prices',
        'sync.pause ddt',
        'sync.pause orders',
      ]);
      const bobs = await call('GET', '/audit?actor=bob');
      expect(bobs.body.entries.map((e: AuditRow) => e.target)).toEqual(['ddt', 'orders']);
      const pauses = await call('GET', '/audit?action=sync.pause&limit=2');
      expect(pauses.body.entries.map((e: AuditRow) => e.target)).toEqual(['prices', 'ddt']);
      const rest = await call(
        'GET',
        `/audit?action=sync.pause&limit=2&cursor=${encodeURIComponent(pauses.body.nextCursor)}`,
      );
      expect(rest.body).toMatchObject({ nextCursor: null, entries: [{ target: 'orders' }] });
      expect(rest.body.entries[0]).toMatchObject({
        actor: 'ops@example.test',
        role: 'admin',
        before: { enabled: true },
        after: { enabled: false },
        at: expect.any(Number),
        requestId: expect.stringMatching(UUID),
      });
      expect((await call('GET', '/audit?limit=0')).body.details).toEqual([
        { field: 'limit', reason: 'must be between 1 and 500' },
      ]);
    });
  });

  it('echoes a valid X-Request-Id and generates one otherwise', async () => {
    const echoed = await call('GET', '/intervals', undefined, 'edge:42.a_b-c');
    expect(echoed.requestId).toBe('edge:42.a_b-c');
    const replaced = await call('GET', '/intervals', undefined, 'not valid!');
    expect(replaced.requestId).toMatch(UUID);
    const generated = await call('GET', '/intervals');
    expect(generated.requestId).toMatch(UUID);
    expect(generated.requestId).not.toBe(replaced.requestId);
  });
});
