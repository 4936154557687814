import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import * as schema from '../../../src/adapters/http/schemas.js';
import type { AuditRecord } from '../../../src/domain/ports/audit-log.js';
import { SECRET, startApp, type App, type StartOptions } from './harness.js';

/** The ManualClock's start, which the harness keeps: every change here happens then. */
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const WINDOW = { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Rome' };
const ADMIN = { actor: 'admin-cli', role: 'admin' };

const failure = (at: number) => ({
  type: 'orders' as const,
  userId: 'a-1',
  success: false,
  at,
  reason: 'ERP refused the login',
});

describe('the audit trail', () => {
  let app: App;
  afterEach(async () => {
    await app.close();
  });

  const open = async (options: StartOptions = {}) => (app = await startApp(options));
  /** What the trail holds, oldest first, without the id the log gave each row. */
  const trail = () => app.auditLog.entries().map(({ id: _id, ...rest }) => rest);
  const send = (
    method: string,
    path: string,
    json?: unknown,
    requestId = `r${path.replaceAll('/', '.')}`,
  ) =>
    app.call(method, path, {
      headers: { 'x-request-id': requestId },
      ...(json !== undefined && { json }),
    });

  describe('records every accepted change with who, what, before and after', () => {
    it('start and stop', async () => {
      await open();
      expect((await send('POST', '/api/sync/auto-sync/start', undefined, 'r-1')).status).toBe(200);
      expect((await send('POST', '/api/sync/auto-sync/stop', undefined, 'r-2')).status).toBe(200);
      expect(trail()).toEqual([
        {
          ...ADMIN,
          at: T0,
          action: 'auto-sync.start',
          target: null,
          before: { running: false },
          after: { running: true },
          requestId: 'r-1',
        },
        {
          ...ADMIN,
          at: T0,
          action: 'auto-sync.stop',
          target: null,
          before: { running: true },
          after: { running: false },
          requestId: 'r-2',
        },
      ]);
    });

    it('an interval, and multipliers: the fields given', async () => {
      await open();
      await send('POST', '/api/sync/intervals/orders', { intervalMinutes: 15 });
      await send('POST', '/api/sync/intervals/sync-ddt', {
        idleMultiplier: 6,
        offlineMultiplier: 1,
      });
      expect(trail()).toMatchObject([
        {
          action: 'settings.update',
          target: 'orders',
          before: { intervalMinutes: 10 },
          after: { intervalMinutes: 15 },
          requestId: 'r.api.sync.intervals.orders',
        },
        {
          action: 'settings.update',
          target: 'ddt',
          before: { idleMultiplier: 4, offlineMultiplier: 0 },
          after: { idleMultiplier: 6, offlineMultiplier: 1 },
        },
      ]);
    });

    it('pause and resume', async () => {
      await open();
      await send('POST', '/api/sync/pause/invoices');
      await send('POST', '/api/sync/resume/invoices');
      expect(
        trail().map(({ action, target, before, after }) => [action, target, before, after]),
      ).toEqual([
        ['sync.pause', 'invoices', { enabled: true }, { enabled: false }],
        ['sync.resume', 'invoices', { enabled: false }, { enabled: true }],
      ]);
    });

    it('a working window set, then cleared', async () => {
      await open();
      await send('PUT', '/api/sync/windows/orders', { ...WINDOW, days: [5, 1, 2, 3, 4] });
      await send('DELETE', '/api/sync/windows/orders');
      expect(trail().map(({ action, before, after }) => [action, before, after])).toEqual([
        ['window.set', { window: null }, { window: WINDOW }],
        ['window.clear', { window: WINDOW }, { window: null }],
      ]);
    });

    it('a trigger for every agent, for one agent, and of a shared type: what it enqueued', async () => {
      await open();
      await send('POST', '/api/sync/trigger/orders');
      await send('POST', '/api/sync/trigger/customers', { userId: 'a-2' });
      await send('POST', '/api/sync/trigger/prices');
      expect(
        trail().map(({ action, target, before, after }) => [action, target, before, after]),
      ).toEqual([
        [
          'trigger',
          'orders',
          null,
          {
            userId: null,
            enqueued: 2,
            deduplicated: 0,
            skippedBreaker: 0,
            bypassedBreaker: false,
            deferredBudget: 0,
          },
        ],
        ['trigger', 'customers', null, expect.objectContaining({ userId: 'a-2', enqueued: 1 })],
        ['trigger', 'prices', null, expect.objectContaining({ userId: null, enqueued: 1 })],
      ]);
      expect(trail()[0]).toMatchObject({ ...ADMIN, requestId: 'r.api.sync.trigger.orders' });
    });

    it('a trigger under a release budget: the pairs it handed to the leader', async () => {
      await open({ config: { erpMaxInFlight: 1 } });
      const res = await send('POST', '/api/sync/trigger/orders');
      expect(res.body).toMatchObject({ enqueued: 0, deferredBudget: 2 });
      expect(trail()).toMatchObject([
        { action: 'trigger', target: 'orders', after: { enqueued: 0, deferredBudget: 2 } },
      ]);
    });

    it("an agent reset: the breakers it closed, under the agent's id", async () => {
      await open();
      await app.agentState.recordOutcomes([failure(T0 - 3), failure(T0 - 2), failure(T0 - 1)], T0);
      expect((await send('POST', '/api/sync/agents/a-1/reset')).body.reset).toBe(1);
      expect(trail()).toEqual([
        {
          ...ADMIN,
          at: T0,
          action: 'agent.reset',
          target: 'a-1',
          before: { orders: { breaker: 'open', consecutiveFailures: 3, recentFailures: 3 } },
          after: { orders: { breaker: 'closed', consecutiveFailures: 0, recentFailures: 0 } },
          requestId: 'r.api.sync.agents.a-1.reset',
        },
      ]);
    });

    it("names the token's userId claim when it has no sub", async () => {
      await open();
      const token = await new SignJWT({ role: 'admin', userId: 'u-42' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET));
      await app.call('POST', '/api/sync/pause/orders', { token });
      expect(trail()).toMatchObject([{ actor: 'u-42', role: 'admin' }]);
      expect(trail()[0]?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('records nothing for a change refused or failed', () => {
    it.each([
      ['400, a bad body', 'POST', '/api/sync/intervals/orders', { intervalMinutes: 3 }, 400],
      ['400, no field at all', 'POST', '/api/sync/intervals/orders', {}, 400],
      ['400, an unknown type', 'POST', '/api/sync/pause/weekly', undefined, 400],
      ['400, a bad window', 'PUT', '/api/sync/windows/orders', { ...WINDOW, days: [] }, 400],
      [
        '400, a shared type for one agent',
        'POST',
        '/api/sync/trigger/prices',
        { userId: 'a-1' },
        400,
      ],
      ['404, an agent not whitelisted', 'POST', '/api/sync/trigger/orders', { userId: 'x' }, 404],
      ['404, an agent without state', 'POST', '/api/sync/agents/nobody/reset', undefined, 404],
    ])('%s', async (_name, method, path, json, status) => {
      await open();
      expect((await send(method, path, json)).status).toBe(status);
      expect(trail()).toEqual([]);
    });

    it('401 without a token, 403 for a viewer', async () => {
      await open();
      const viewer = await signToken(SECRET, { role: 'viewer' });
      expect((await app.call('POST', '/api/sync/auto-sync/start', { token: null })).status).toBe(
        401,
      );
      for (const [method, path] of [
        ['POST', '/api/sync/auto-sync/stop'],
        ['POST', '/api/sync/intervals/orders'],
        ['POST', '/api/sync/trigger/orders'],
        ['DELETE', '/api/sync/windows/orders'],
        ['POST', '/api/sync/agents/a-1/reset'],
      ] as const) {
        const res = await app.call(method, path, { token: viewer, json: { intervalMinutes: 15 } });
        expect(res.status).toBe(403);
      }
      expect(trail()).toEqual([]);
    });

    it('503 when the settings store is unreachable: neither the change nor its row', async () => {
      await open();
      app.settings.failUnreachable();
      for (const [method, path, json] of [
        ['POST', '/api/sync/auto-sync/start', undefined],
        ['POST', '/api/sync/intervals/orders', { intervalMinutes: 15 }],
        ['POST', '/api/sync/pause/orders', undefined],
        ['PUT', '/api/sync/windows/orders', WINDOW],
      ] as const) {
        expect((await send(method, path, json)).status).toBe(503);
      }
      app.settings.failUnreachable(false);
      expect(trail()).toEqual([]);
      expect((await app.settings.loadSettings()).types.orders.intervalMinutes).toBe(10);
    });

    it('503 when the queue is unreachable: a trigger that enqueued nothing is no change', async () => {
      await open();
      app.queue.failWith(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
      expect((await send('POST', '/api/sync/trigger/orders')).status).toBe(503);
      expect(trail()).toEqual([]);
    });

    it('a change whose audit row cannot be written is not made (500, its cause logged)', async () => {
      await open();
      app.auditLog.failWith(new Error('audit_log: check constraint violated'));
      const res = await send('POST', '/api/sync/intervals/orders', { intervalMinutes: 15 });
      expect(res.status).toBe(500);
      expect((await app.settings.loadSettings()).types.orders.intervalMinutes).toBe(10);
      expect(app.scheduler.settingsOf('orders').intervalMinutes).toBe(10);
    });
  });

  it('answers a trigger whose audit row cannot be written, and says so loudly', async () => {
    await open();
    app.auditLog.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const res = await send('POST', '/api/sync/trigger/orders', undefined, 'r-trigger');
    expect(res.status).toBe(202);
    expect(res.body.enqueued).toBe(2);
    const line = app.logs.map((l) => JSON.parse(l)).find((l) => l.event === 'audit_failed');
    expect(line).toMatchObject({
      level: 50,
      type: 'orders',
      actor: 'admin-cli',
      requestId: 'r-trigger',
      msg: expect.stringMatching(/^trigger orders: the jobs went out but the audit trail/),
    });
  });

  describe('GET /api/sync/audit', () => {
    /** Seven changes by two actors: bob paused and resumed ddt, admin-cli made the rest. */
    const arrange = async () => {
      await open();
      const bob = await signToken(SECRET, { subject: 'bob' });
      await send('POST', '/api/sync/pause/orders');
      await app.call('POST', '/api/sync/pause/ddt', { token: bob });
      await send('POST', '/api/sync/intervals/orders', { intervalMinutes: 30 });
      await app.call('POST', '/api/sync/resume/ddt', { token: bob });
      await send('POST', '/api/sync/trigger/orders');
      await send('PUT', '/api/sync/windows/prices', WINDOW);
      await send('POST', '/api/sync/auto-sync/start');
    };
    const list = async (query = '', token?: string) => {
      const res = await app.call('GET', `/api/sync/audit${query}`, token ? { token } : {});
      expect(res.status).toBe(200);
      return schema.auditListResponse.parse(res.body);
    };
    const actions = (entries: readonly { action: string }[]) => entries.map((e) => e.action);

    it('lists newest first, every field, to a viewer too', async () => {
      await arrange();
      const viewer = await signToken(SECRET, { role: 'viewer' });
      const { entries, nextCursor } = await list('', viewer);
      expect(actions(entries)).toEqual([
        'auto-sync.start',
        'window.set',
        'trigger',
        'sync.resume',
        'settings.update',
        'sync.pause',
        'sync.pause',
      ]);
      expect(nextCursor).toBeNull();
      const stored = app.auditLog.entries().at(-1) as AuditRecord;
      expect(entries[0]).toEqual(stored);
      expect(entries[0]).toMatchObject({
        at: T0,
        actor: 'admin-cli',
        role: 'admin',
        target: null,
        requestId: 'r.api.sync.auto-sync.start',
      });
    });

    it('pages with limit and the opaque cursor, every change once', async () => {
      await arrange();
      const seen: number[] = [];
      let query = '?limit=3';
      const sizes: number[] = [];
      for (;;) {
        const page = await list(query);
        sizes.push(page.entries.length);
        seen.push(...page.entries.map((e) => e.id));
        if (page.nextCursor === null) break;
        query = `?limit=3&cursor=${encodeURIComponent(page.nextCursor)}`;
      }
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    });

    it('filters by actor and by action, and pages within a filter', async () => {
      await arrange();
      expect(actions((await list('?actor=bob')).entries)).toEqual(['sync.resume', 'sync.pause']);
      expect((await list('?action=sync.pause')).entries.map((e) => e.target)).toEqual([
        'ddt',
        'orders',
      ]);
      expect((await list('?actor=bob&action=sync.pause')).entries).toHaveLength(1);
      const first = await list('?actor=admin-cli&limit=4');
      expect(first.entries).toHaveLength(4);
      const rest = await list(
        `?actor=admin-cli&limit=4&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
      );
      expect(actions(rest.entries)).toEqual(['sync.pause']);
      expect(rest.nextCursor).toBeNull();
    });

    it('defaults to 50 a page', async () => {
      await open();
      for (let i = 0; i < 51; i++) await send('POST', '/api/sync/auto-sync/start');
      const page = await list();
      expect(page.entries).toHaveLength(50);
      expect(page.nextCursor).not.toBeNull();
    });

    it.each([
      ['?limit=0', 'limit', 'must be between 1 and 500'],
      ['?limit=501', 'limit', 'must be between 1 and 500'],
      ['?limit=ten', 'limit', 'must be a number'],
      ['?limit=2.5', 'limit', 'must be a whole number'],
      ['?action=delete', 'action', expect.stringMatching(/^must be one of auto-sync.start, /)],
      ['?actor=', 'actor', 'must not be empty'],
      ['?actor=a&actor=b', 'actor', 'must be a single value'],
      ['?cursor=not-a-cursor', 'cursor', 'is not a cursor this list handed out'],
      [`?cursor=${'x'.repeat(201)}`, 'cursor', 'must be at most 200 characters'],
    ])('refuses %s with a 400 naming %s', async (query, field, reason) => {
      await open();
      const res = await app.call('GET', `/api/sync/audit${query}`);
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([{ field, reason }]);
    });

    it('answers 503 when the trail is unreachable', async () => {
      await open();
      app.auditLog.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      const res = await app.call('GET', '/api/sync/audit');
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('The audit log is unreachable.');
    });
  });
});
