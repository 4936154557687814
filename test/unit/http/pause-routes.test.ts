import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import * as schema from '../../../src/adapters/http/schemas.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import { SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import { advance, MINUTE } from '../../support/scheduler-fixture.js';
import { SECRET, startApp, type App } from './harness.js';

const TYPES = 'orders, customers, ddt, invoices, products, prices';
const UNREACHABLE = /settings store is unreachable\.$/;

describe('pausing and resuming a sync type', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
    await app.call('POST', '/api/sync/auto-sync/start');
  });
  afterEach(async () => {
    await app.close();
  });

  const storedEnabled = async (type: SyncType) =>
    (await app.settings.loadSettings()).types[type].enabled;
  const ticksOf = (type: SyncType) => app.queue.batches.filter((b) => b[0]?.type === type).length;

  describe('POST /api/sync/pause/:type', () => {
    it.each(['orders', 'sync-orders'])(
      'pauses %s: stored, its timer gone, the other types untouched',
      async (type) => {
        const before = app.scheduler.scheduleOf('customers');
        const res = await app.call('POST', `/api/sync/pause/${type}`);
        expect(res.status).toBe(200);
        expect(schema.setEnabledResponse.strict().parse(res.body)).toEqual({
          success: true,
          type: 'orders',
          enabled: false,
          message: 'Auto-sync of orders paused',
        });
        expect(await storedEnabled('orders')).toBe(false);
        expect(app.scheduler.scheduleOf('orders')).toMatchObject({
          enabled: false,
          nextRunAt: null,
        });
        expect(app.scheduler.scheduleOf('customers')).toEqual(before);
        await advance(app.clock, 30 * MINUTE);
        expect(ticksOf('orders')).toBe(0);
        expect(ticksOf('customers')).toBe(2);
      },
    );

    it('is idempotent', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await app.call('POST', '/api/sync/pause/ddt');
        expect(res.status).toBe(200);
        expect(res.body.enabled).toBe(false);
      }
      expect(await storedEnabled('ddt')).toBe(false);
    });

    it('shows in the auto-sync status and the intervals', async () => {
      await app.call('POST', '/api/sync/pause/prices');
      const enabled = { ...Object.fromEntries(SYNC_TYPES.map((t) => [t, true])), prices: false };
      const status = await app.call('GET', '/api/sync/auto-sync/status');
      expect(schema.autoSyncStatusResponse.parse(status.body)).toEqual({
        success: true,
        running: true,
        intervals: DEFAULT_INTERVALS,
        enabled,
      });
      const intervals = await app.call('GET', '/api/sync/intervals');
      expect(schema.intervalsResponse.parse(intervals.body)).toMatchObject({
        success: true,
        intervals: DEFAULT_INTERVALS,
        enabled,
      });
    });
  });

  describe('POST /api/sync/resume/:type', () => {
    it('resumes a paused type: stored, and it ticks at once when overdue', async () => {
      await app.call('POST', '/api/sync/pause/sync-invoices');
      await advance(app.clock, 45 * MINUTE);
      expect(ticksOf('invoices')).toBe(0);
      const res = await app.call('POST', '/api/sync/resume/sync-invoices');
      expect(res.status).toBe(200);
      expect(schema.setEnabledResponse.strict().parse(res.body)).toEqual({
        success: true,
        type: 'invoices',
        enabled: true,
        message: 'Auto-sync of invoices resumed',
      });
      expect(await storedEnabled('invoices')).toBe(true);
      await advance(app.clock, 0);
      expect(ticksOf('invoices')).toBe(1);
    });

    it('is harmless for a type that was not paused', async () => {
      const before = app.scheduler.scheduleOf('orders');
      const res = await app.call('POST', '/api/sync/resume/orders');
      expect(res.status).toBe(200);
      expect(res.body.enabled).toBe(true);
      expect(app.scheduler.scheduleOf('orders')).toEqual(before);
    });
  });

  describe.each(['pause', 'resume'])('POST /api/sync/%s/:type refusals', (action) => {
    it('answers 503 when the store fails, changing neither store nor schedule', async () => {
      if (action === 'resume') await app.call('POST', '/api/sync/pause/orders');
      const before = app.scheduler.scheduleOf('orders');
      const timers = app.clock.pendingTimers();
      app.settings.failWith(new Error('connection refused'));
      const res = await app.call('POST', `/api/sync/${action}/orders`);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(UNREACHABLE) });
      expect(app.scheduler.scheduleOf('orders')).toEqual(before);
      expect(app.clock.pendingTimers()).toBe(timers);
      app.settings.failWith(null);
      expect(await storedEnabled('orders')).toBe(action === 'resume' ? false : true);
    });

    it('refuses an unknown type with 400 naming the field', async () => {
      const res = await app.call('POST', `/api/sync/${action}/widgets`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        success: false,
        error: `type must be one of ${TYPES}.`,
        details: [{ field: 'type', reason: `must be one of ${TYPES}` }],
      });
    });

    it('requires an admin token, and changes nothing without one', async () => {
      const viewer = await signToken(SECRET, { role: 'viewer' });
      expect((await app.call('POST', `/api/sync/${action}/orders`, { token: null })).status).toBe(
        401,
      );
      expect((await app.call('POST', `/api/sync/${action}/orders`, { token: viewer })).status).toBe(
        403,
      );
      expect(await storedEnabled('orders')).toBe(true);
    });

    it('answers 405 to GET', async () => {
      const res = await app.call('GET', `/api/sync/${action}/orders`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    });
  });
});
