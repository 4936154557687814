import { afterEach, describe, expect, it } from 'vitest';
import * as schema from '../../../src/adapters/http/schemas.js';
import type { PairState } from '../../../src/domain/breakers.js';
import { SERVICE_ACCOUNT } from '../../../src/domain/sync-types.js';
import { aPair } from '../../support/pair-state.js';
import { startApp, type App, type StartOptions } from './harness.js';

const MINUTE = 60_000;
/** The ManualClock's start, which the harness keeps. */
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

/**
 * a-1: orders open since a failure 5 min ago; a-2: ddt failed 20 min ago, still closed;
 * a-3: orders succeeded a minute ago (not stale); the shared rows under service-account.
 * orders run every 10 min, so "stale" is no success for over 20 min (or never).
 */
const ROWS: PairState[] = [
  aPair('orders', 'a-1', {
    breaker: 'open',
    lastFailedAt: T0 - 5 * MINUTE,
    lastFailureReason: 'ERP login refused',
    consecutiveFailures: 3,
    recentFailures: [T0 - 25 * MINUTE, T0 - 15 * MINUTE, T0 - 5 * MINUTE],
    openUntil: T0 + 115 * MINUTE,
  }),
  aPair('customers', 'a-1', { lastCompletedAt: T0 - 2 * MINUTE }),
  aPair('ddt', 'a-2', { lastFailedAt: T0 - 20 * MINUTE, consecutiveFailures: 1 }),
  aPair('orders', 'a-3', { lastCompletedAt: T0 - MINUTE }),
  aPair('products', SERVICE_ACCOUNT, { lastCompletedAt: T0 - 3 * MINUTE }),
  aPair('prices', SERVICE_ACCOUNT, { lastCompletedAt: T0 - 4 * MINUTE }),
];

const keys = (rows: { type: string; userId: string }[]) => rows.map((r) => `${r.type}/${r.userId}`);

describe('agent routes', () => {
  let app: App;
  afterEach(async () => {
    await app.close();
  });

  const open = async (rows: PairState[] = ROWS, options: StartOptions = {}) => {
    app = await startApp(options);
    app.agentState.seed(rows);
    return app;
  };
  const store = () => app.agentState;
  /** Every row the store holds, through its port. */
  const everyRow = async () => (await store().list({ limit: 500 })).items;
  const ordersOf = async (userId: string) =>
    (await store().agent(userId)).find((row) => row.type === 'orders');

  describe('auth and shape', () => {
    it.each([
      ['GET', '/api/sync/agents'],
      ['GET', '/api/sync/agents/a-1'],
      ['POST', '/api/sync/agents/a-1/reset'],
      ['GET', '/api/sync/erp-breaker'],
    ])('%s %s needs an admin token, and changes nothing without one', async (method, path) => {
      await open();
      const before = await everyRow();
      const res = await app.call(method, path, { token: null });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false });
      expect(res.body).not.toHaveProperty('agents');
      expect(res.body).not.toHaveProperty('rows');
      expect(await everyRow()).toEqual(before);
      expect((await ordersOf('a-1'))?.breaker).toBe('open');
    });

    it('is not mounted when no AgentStateStore is bound, so older wirings keep working', async () => {
      app = await startApp({ agentState: false });
      expect((await app.call('GET', '/api/sync/agents')).status).toBe(404);
      expect((await app.call('GET', '/api/sync/erp-breaker')).status).toBe(404);
      expect((await app.call('GET', '/api/sync/intervals')).status).toBe(200);
    });

    it('lists the four routes in OpenAPI with their parameters', async () => {
      await open();
      const { body: doc } = await app.call('GET', '/openapi.json', { token: null });
      const list = doc.paths['/api/sync/agents'].get;
      expect(list.parameters.map((p: { name: string }) => p.name)).toEqual([
        'type',
        'state',
        'limit',
        'cursor',
      ]);
      const state = list.parameters.find((p: { name: string }) => p.name === 'state');
      expect(state.schema.enum).toEqual(['closed', 'open', 'half_open', 'stale']);
      const limit = list.parameters.find((p: { name: string }) => p.name === 'limit');
      expect(limit.schema).toMatchObject({ minimum: 1, maximum: 500, default: 50 });
      expect(doc.paths['/api/sync/agents/{userId}'].get.parameters[0]).toMatchObject({
        name: 'userId',
        in: 'path',
        required: true,
      });
      const reset = doc.paths['/api/sync/agents/{userId}/reset'].post;
      expect(Object.keys(reset.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '403', '404', '503']),
      );
      expect(reset.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.paths['/api/sync/erp-breaker'].get.security).toEqual([{ bearerAuth: [] }]);
    });
  });

  describe('GET /api/sync/agents', () => {
    it('lists every row newest failure first, times in epoch ms', async () => {
      await open();
      const res = await app.call('GET', '/api/sync/agents');
      expect(res.status).toBe(200);
      const body = schema.agentListResponse.parse(res.body);
      // Never-failed rows last, then by type and agent as the store orders them (by name).
      expect(keys(body.agents)).toEqual([
        'orders/a-1',
        'ddt/a-2',
        'customers/a-1',
        'orders/a-3',
        'prices/service-account',
        'products/service-account',
      ]);
      expect(body.nextCursor).toBeNull();
      expect(body.agents[0]).toEqual({ ...ROWS[0], recentFailures: ROWS[0]?.recentFailures });
    });

    it('pages through every row with the cursor, each row once', async () => {
      await open();
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const res = await app.call('GET', `/api/sync/agents?limit=4${query}`);
        expect(res.status).toBe(200);
        const body = schema.agentListResponse.parse(res.body);
        expect(body.agents.length).toBeLessThanOrEqual(4);
        seen.push(...keys(body.agents));
        cursor = body.nextCursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(2);
      // The same rows in the same order as one page of all of them.
      const whole = await app.call('GET', '/api/sync/agents?limit=500');
      expect(seen).toEqual(keys(whole.body.agents));
      expect(new Set(seen).size).toBe(ROWS.length);
    });

    it('filters by breaker state and by type (either spelling)', async () => {
      await open();
      const open_ = await app.call('GET', '/api/sync/agents?state=open');
      expect(keys(open_.body.agents)).toEqual(['orders/a-1']);
      const orders = await app.call('GET', '/api/sync/agents?type=sync-orders');
      expect(keys(orders.body.agents)).toEqual(['orders/a-1', 'orders/a-3']);
      const closedDdt = await app.call('GET', '/api/sync/agents?type=ddt&state=closed');
      expect(keys(closedDdt.body.agents)).toEqual(['ddt/a-2']);
      expect((await app.call('GET', '/api/sync/agents?state=half_open')).body.agents).toEqual([]);
    });

    it("filters 'stale': no success for more than two intervals of the row's type", async () => {
      await open();
      const res = await app.call('GET', '/api/sync/agents?state=stale');
      // Never succeeded: stale; succeeded minutes ago: not.
      expect(keys(res.body.agents)).toEqual(['orders/a-1', 'ddt/a-2']);
    });

    it("judges 'stale' by the scheduler's current intervals and the clock's now", async () => {
      // orders/a-4 last succeeded 25 min ago: stale at 10 min (over 2 × 10), fresh at 15 min.
      await open([...ROWS, aPair('orders', 'a-4', { lastCompletedAt: T0 - 25 * MINUTE })]);
      const stale = async () =>
        keys((await app.call('GET', '/api/sync/agents?state=stale&type=orders')).body.agents);
      expect(await stale()).toEqual(['orders/a-1', 'orders/a-4']);

      const saved = await app.call('POST', '/api/sync/intervals/orders', {
        json: { intervalMinutes: 15 },
      });
      expect(saved.status).toBe(200);
      expect(await stale()).toEqual(['orders/a-1']);

      // orders/a-3 succeeded at T0 - 1 min: 31 min later it is over 2 × 15 min old.
      app.clock.advance(31 * MINUTE);
      expect(await stale()).toEqual(['orders/a-1', 'orders/a-3', 'orders/a-4']);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=ten', 'limit'],
      ['state=broken', 'state'],
      ['type=payments', 'type'],
      ['cursor=', 'cursor'],
      [`cursor=${'x'.repeat(201)}`, 'cursor'],
      ['cursor=a&cursor=b', 'cursor'],
      ['cursor=not-a-cursor', 'cursor'],
    ])('refuses ?%s with a 400 naming %s', async (query, field) => {
      await open();
      const res = await app.call('GET', `/api/sync/agents?${query}`);
      expect(res.status).toBe(400);
      expect(schema.errorBody.parse(res.body).error).toMatch(new RegExp(`^${field} `));
      expect(res.body.details[0].field).toBe(field);
    });

    it('answers 503 when the store is unreachable', async () => {
      await open();
      store().failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      const res = await app.call('GET', '/api/sync/agents');
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('The agent state store is unreachable.');
      store().failWith(null);
    });
  });

  describe('GET /api/sync/agents/:userId', () => {
    it("returns the agent's rows and the shared rows", async () => {
      await open();
      const res = await app.call('GET', '/api/sync/agents/a-1');
      expect(res.status).toBe(200);
      const body = schema.agentResponse.parse(res.body);
      expect(body.userId).toBe('a-1');
      expect(keys(body.rows)).toEqual([
        'orders/a-1',
        'customers/a-1',
        'products/service-account',
        'prices/service-account',
      ]);
    });

    it('decodes the path: an id with a slash or a space is one id', async () => {
      await open([...ROWS, aPair('invoices', 'north/a 7')]);
      const res = await app.call('GET', `/api/sync/agents/${encodeURIComponent('north/a 7')}`);
      expect(res.status).toBe(200);
      expect(res.body.userId).toBe('north/a 7');
    });

    it('is 404 for an agent without sync state', async () => {
      await open();
      const res = await app.call('GET', '/api/sync/agents/ghost');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ success: false, error: 'Agent ghost has no sync state.' });
    });

    it('is 400 naming userId for an id longer than 200 characters', async () => {
      await open();
      const res = await app.call('GET', `/api/sync/agents/${'x'.repeat(201)}`);
      expect(res.status).toBe(400);
      expect(res.body.details[0]).toEqual({
        field: 'userId',
        reason: 'must be at most 200 characters',
      });
    });
  });

  describe('POST /api/sync/agents/:userId/reset', () => {
    it("closes the agent's breakers; the list shows it closed afterwards", async () => {
      await open();
      const res = await app.call('POST', '/api/sync/agents/a-1/reset');
      expect(res.status).toBe(200);
      expect(schema.agentResetResponse.parse(res.body)).toEqual({
        success: true,
        userId: 'a-1',
        reset: 1,
      });
      expect((await app.call('GET', '/api/sync/agents?state=open')).body.agents).toEqual([]);
      const orders = (await app.call('GET', '/api/sync/agents/a-1')).body.rows[0];
      expect(orders).toMatchObject({
        breaker: 'closed',
        consecutiveFailures: 0,
        recentFailures: [],
        openUntil: null,
        lastFailureReason: 'ERP login refused',
      });
    });

    it('is idempotent: a second reset changes nothing and says so', async () => {
      await open();
      await app.call('POST', '/api/sync/agents/a-1/reset');
      const res = await app.call('POST', '/api/sync/agents/a-1/reset');
      expect(res.status).toBe(200);
      expect(res.body.reset).toBe(0);
    });

    it('is 404 for an agent with nothing to reset', async () => {
      await open();
      const res = await app.call('POST', '/api/sync/agents/ghost/reset');
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('Agent ghost has no sync state to reset.');
    });

    it('needs no body, and GET on it is a 405', async () => {
      await open();
      const res = await app.call('GET', '/api/sync/agents/a-1/reset');
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
    });

    it('is refused once shutdown began, like every write', async () => {
      await open(ROWS, { draining: true });
      expect((await app.call('POST', '/api/sync/agents/a-1/reset')).status).toBe(503);
      expect((await app.call('GET', '/api/sync/agents')).status).toBe(200);
      expect(await ordersOf('a-1')).toEqual(ROWS[0]);
    });
  });

  describe('GET /api/sync/erp-breaker', () => {
    it('reports a closed breaker by default', async () => {
      await open();
      const res = await app.call('GET', '/api/sync/erp-breaker');
      expect(res.status).toBe(200);
      expect(schema.erpBreakerResponse.parse(res.body)).toEqual({
        success: true,
        state: 'closed',
        since: null,
        openUntil: null,
        window: { outcomes: 0, failed: 0 },
      });
    });

    it('reports an open breaker, since when, until when, and its window', async () => {
      await open();
      store().seedErp({
        state: 'open',
        since: T0 - MINUTE,
        openUntil: T0 + 4 * MINUTE,
        window: Array.from({ length: 30 }, (_, i) => ({ at: T0 - i * 1000, success: i % 3 === 0 })),
        probe: null,
      });
      const res = await app.call('GET', '/api/sync/erp-breaker');
      expect(res.body).toEqual({
        success: true,
        state: 'open',
        since: T0 - MINUTE,
        openUntil: T0 + 4 * MINUTE,
        window: { outcomes: 30, failed: 20 },
      });
    });
  });
});
