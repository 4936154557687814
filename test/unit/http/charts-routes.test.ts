import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import * as schema from '../../../src/adapters/http/schemas.js';
import type { SyncEvent, TickDecision } from '../../../src/domain/ports/sync-history.js';
import { SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import { SECRET, startApp, type App, type StartOptions } from './harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Not on a slot boundary: 08:07:30, so the last slot (08:00-08:10 for orders) holds it. */
const T0 = Date.UTC(2026, 0, 1, 8, 7, 30);
const ORDERS_SLOT = 10 * MINUTE;
const LAST_SLOT = Date.UTC(2026, 0, 1, 8, 0, 0);
const TYPES = SYNC_TYPES.join(', ');

function anEvent(minutesAgo: number, fields: Partial<SyncEvent> = {}): SyncEvent {
  return {
    jobId: `job-${minutesAgo}-${fields.userId ?? 'a-1'}`,
    type: 'orders',
    userId: 'a-1',
    success: true,
    finishedAt: T0 - minutesAgo * MINUTE,
    durationMs: 1500,
    error: null,
    ...fields,
  };
}

const aDecision = (
  minutesAgo: number,
  decisionClass: TickDecision['class'],
  count: number,
  type: SyncType = 'orders',
): TickDecision => ({ type, at: T0 - minutesAgo * MINUTE, class: decisionClass, count });

describe('chart routes', () => {
  let app: App;
  afterEach(async () => {
    await app.close();
  });

  const open = async (options: StartOptions = {}) => {
    app = await startApp({ clockStart: T0, ...options });
    return app;
  };
  const chart = async (path: string, token?: string) => {
    const res = await app.call('GET', `/api/sync/charts/${path}`, token ? { token } : {});
    expect(res.status, res.text).toBe(200);
    return schema.chartResponse.strict().parse(res.body);
  };

  describe('GET /charts/:type', () => {
    it('answers the last 24 h of a type in slots of its interval, aligned, the last holding now', async () => {
      await open();
      const body = await chart('orders');
      expect(body).toMatchObject({
        success: true,
        type: 'orders',
        hours: 24,
        intervalMinutes: 10,
        slotMs: ORDERS_SLOT,
        from: LAST_SLOT - 144 * ORDERS_SLOT,
        to: T0,
        budgetPerSlot: null,
        maxInFlight: null,
        historyFrom: null,
      });
      expect(body.slots).toHaveLength(145);
      expect(body.slots.every((slot, i) => slot.start === body.from + i * ORDERS_SLOT)).toBe(true);
      expect(body.slots.at(-1)).toEqual({
        start: LAST_SLOT,
        released: 0,
        completed: 0,
        failed: 0,
        deduplicated: 0,
        skippedBreaker: 0,
        skippedWindow: 0,
        deferredBudget: 0,
      });
    });

    it('counts outcomes and decisions into their slots, for that type only', async () => {
      await open();
      await app.history.recordMany([
        anEvent(1),
        anEvent(2, { userId: 'a-2', success: false, error: 'ERP timed out' }),
        anEvent(9), // 07:58:30, the slot before
        anEvent(1, { type: 'ddt', jobId: 'ddt-1' }),
      ]);
      await app.history.recordDecisions([
        aDecision(7, 'released', 2),
        aDecision(7, 'deduplicated', 1),
        aDecision(9, 'released', 2),
        aDecision(9, 'skipped_breaker', 1),
        aDecision(9, 'deferred_budget', 3),
        aDecision(20, 'skipped_window', 2),
        aDecision(1, 'released', 50, 'ddt'),
      ]);

      const { slots } = await chart('orders');

      const [window, previous, last] = slots.slice(-3);
      expect(last).toMatchObject({ released: 2, deduplicated: 1, completed: 1, failed: 1 });
      expect(previous).toMatchObject({
        released: 2,
        skippedBreaker: 1,
        deferredBudget: 3,
        completed: 1,
      });
      expect(window).toMatchObject({ skippedWindow: 2, released: 0 });
      expect(slots.slice(0, -3).every((slot) => slot.completed + slot.released === 0)).toBe(true);
    });

    it('accepts the queue spelling of the type, and any whole number of hours from 1 to 168', async () => {
      await open();
      expect((await chart('sync-orders?hours=1')).type).toBe('orders');
      const hour = await chart('orders?hours=1');
      expect(hour.from).toBe(LAST_SLOT - 6 * ORDERS_SLOT);
      expect(hour.slots).toHaveLength(7);
      expect((await chart('prices?hours=168')).slots.length).toBeLessThanOrEqual(300);
    });

    it('keeps to at most 300 slots by making each a whole number of intervals', async () => {
      await open({ config: { erpMaxPerMinute: 100 } });
      // 7 days of 10-minute intervals would be 1,008 slots: four intervals (40 min) each.
      const week = await chart('orders?hours=168');
      expect(week.slotMs).toBe(4 * ORDERS_SLOT);
      expect(week.slots.length).toBeLessThanOrEqual(300);
      expect(week.slots.length).toBeGreaterThan(250);
      expect(week.from % week.slotMs).toBe(0);
      expect(week.from).toBeLessThanOrEqual(T0 - 168 * HOUR);
      expect(week.slots.at(-1)?.start).toBeLessThanOrEqual(T0);
      expect(week.budgetPerSlot).toBe(100 * 40);
    });

    it('draws no budget line without ERP_MAX_PER_MINUTE, even with ERP_MAX_IN_FLIGHT', async () => {
      await open({ config: { erpMaxInFlight: 50 } });
      const body = await chart('orders');
      expect(body.budgetPerSlot).toBeNull();
      expect(body.maxInFlight).toBe(50);
    });

    it('gives the budget per slot as ERP_MAX_PER_MINUTE × the interval in minutes', async () => {
      await open({ config: { erpMaxPerMinute: 30, erpMaxInFlight: 50 } });
      expect(await chart('orders')).toMatchObject({ budgetPerSlot: 300, maxInFlight: 50 });
      expect((await chart('prices')).budgetPerSlot).toBe(30 * 60);
    });

    it('follows an interval change from the next read: slots and budget of the new interval', async () => {
      await open({ config: { erpMaxPerMinute: 30 } });
      const res = await app.call('POST', '/api/sync/intervals/orders', {
        json: { intervalMinutes: 15 },
      });
      expect(res.status).toBe(200);
      const body = await chart('orders');
      expect(body).toMatchObject({ intervalMinutes: 15, slotMs: 15 * MINUTE, budgetPerSlot: 450 });
      expect(body.from % (15 * MINUTE)).toBe(0);
    });

    it('says from when retention may have cut the history: the age bound, 7 days', async () => {
      await open();
      // More than the 500 rows per type the history keeps: the chart counts are not cut.
      await app.history.recordMany(
        Array.from({ length: 600 }, (_, i) => anEvent(i % 120, { jobId: `j-${i}` })),
      );
      await app.history.prune();
      const day = await chart('orders');
      expect(day.historyFrom).toBeNull();
      expect(day.slots.reduce((n, slot) => n + slot.completed, 0)).toBe(600);
      expect((await chart('orders?hours=168')).historyFrom).toBe(T0 - 168 * HOUR);
    });

    it('lets a viewer read it', async () => {
      await open();
      const viewer = await signToken(SECRET, { role: 'viewer' });
      expect((await chart('orders', viewer)).type).toBe('orders');
    });

    it('needs a token', async () => {
      await open();
      const res = await app.call('GET', '/api/sync/charts/orders', { token: null });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false });
    });

    it.each([
      ['0', 'must be between 1 and 168'],
      ['169', 'must be between 1 and 168'],
      ['1.5', 'must be a whole number of hours'],
      ['abc', 'must be a number'],
      ['', 'must be between 1 and 168'],
    ])('refuses hours=%s with 400 naming the field', async (hours, reason) => {
      await open();
      const res = await app.call('GET', `/api/sync/charts/orders?hours=${hours}`);
      expect(res.status).toBe(400);
      expect(schema.errorBody.strict().parse(res.body).details).toEqual([
        { field: 'hours', reason },
      ]);
    });

    it('refuses an unknown type with 400', async () => {
      await open();
      const res = await app.call('GET', '/api/sync/charts/stock');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        success: false,
        error: expect.stringContaining('type'),
        details: [{ field: 'type', reason: `must be one of ${TYPES}` }],
      });
    });

    it('answers 503 when the history cannot be read', async () => {
      await open();
      app.history.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      const res = await app.call('GET', '/api/sync/charts/orders');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: 'The sync history is unreachable.' });
    });
  });

  describe('GET /agents/:userId/outcomes', () => {
    const outcomes = async (path: string, token?: string) => {
      const res = await app.call('GET', `/api/sync/agents/${path}`, token ? { token } : {});
      expect(res.status, res.text).toBe(200);
      return schema.agentOutcomesResponse.strict().parse(res.body);
    };

    it("lists the agent's newest outcomes of every type, newest first, field by field", async () => {
      await open();
      await app.history.recordMany([
        anEvent(30),
        anEvent(10, { type: 'invoices', success: false, error: 'ERP refused the login' }),
        anEvent(20, { type: 'customers', durationMs: null }),
        anEvent(5, { userId: 'a-2' }),
      ]);

      const body = await outcomes('a-1/outcomes');

      expect(body.userId).toBe('a-1');
      expect(body.outcomes).toEqual([
        {
          jobId: 'job-10-a-1',
          type: 'invoices',
          finishedAt: T0 - 10 * MINUTE,
          success: false,
          durationMs: 1500,
          error: 'ERP refused the login',
        },
        expect.objectContaining({ type: 'customers', durationMs: null, success: true }),
        expect.objectContaining({ type: 'orders', finishedAt: T0 - 30 * MINUTE }),
      ]);
      const two = await outcomes('a-1/outcomes?limit=2');
      expect(two.outcomes.map((o) => o.type)).toEqual(['invoices', 'customers']);
    });

    it('answers an empty list for an agent the history has nothing of, to a viewer too', async () => {
      await open();
      const viewer = await signToken(SECRET, { role: 'viewer' });
      expect((await outcomes('ghost/outcomes', viewer)).outcomes).toEqual([]);
    });

    it.each([
      ['0', 'must be between 1 and 100'],
      ['101', 'must be between 1 and 100'],
      ['x', 'must be a number'],
    ])('refuses limit=%s with 400 naming the field', async (limit, reason) => {
      await open();
      const res = await app.call('GET', `/api/sync/agents/a-1/outcomes?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([{ field: 'limit', reason }]);
    });

    it('answers 503 when the history cannot be read', async () => {
      await open();
      app.history.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      expect((await app.call('GET', '/api/sync/agents/a-1/outcomes')).status).toBe(503);
    });
  });

  it('documents both routes in OpenAPI, with their bounds', async () => {
    await open();
    const { body: doc } = await app.call('GET', '/openapi.json', { token: null });
    const charts = doc.paths['/api/sync/charts/{type}'].get;
    const hours = charts.parameters.find((p: { name: string }) => p.name === 'hours');
    expect(hours).toMatchObject({ in: 'query', schema: { minimum: 1, maximum: 168, default: 24 } });
    expect(Object.keys(charts.responses).sort()).toEqual(
      ['200', '400', '401', '403', '404', '405', '500', '503'].sort(),
    );
    const slot = charts.responses['200'].content['application/json'].schema.properties;
    expect(Object.keys(slot)).toEqual(expect.arrayContaining(['budgetPerSlot', 'slots']));
    const agent = doc.paths['/api/sync/agents/{userId}/outcomes'].get;
    expect(agent.parameters.map((p: { name: string }) => p.name)).toEqual(['userId', 'limit']);
  });
});
