import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as schema from '../../../src/adapters/http/schemas.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import { SYNC_TYPES } from '../../../src/domain/sync-types.js';
import { startApp, type App } from './harness.js';

const TYPES = 'orders, customers, ddt, invoices, products, prices';
const ALL_ENABLED = Object.fromEntries(SYNC_TYPES.map((t) => [t, true]));
const UNREACHABLE = /settings store is unreachable\.$/;

describe('admin API routes', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(async () => {
    await app.close();
  });

  describe('auto-sync', () => {
    it('reports a stopped scheduler with its intervals and every type enabled', async () => {
      const res = await app.call('GET', '/api/sync/auto-sync/status');
      expect(res.status).toBe(200);
      expect(schema.autoSyncStatusResponse.parse(res.body)).toEqual({
        success: true,
        running: false,
        intervals: DEFAULT_INTERVALS,
        enabled: ALL_ENABLED,
      });
    });

    it('starts with the intervals saved in the store, idempotently', async () => {
      await app.settings.saveInterval('orders', 25);
      for (let i = 0; i < 2; i++) {
        const res = await app.call('POST', '/api/sync/auto-sync/start');
        expect(res.status).toBe(200);
        expect(schema.startResponse.parse(res.body)).toEqual({
          success: true,
          running: true,
          intervals: { ...DEFAULT_INTERVALS, orders: 25 },
        });
      }
      expect(app.scheduler.isRunning()).toBe(true);
    });

    it('stops, idempotently', async () => {
      await app.call('POST', '/api/sync/auto-sync/start');
      for (let i = 0; i < 2; i++) {
        const res = await app.call('POST', '/api/sync/auto-sync/stop');
        expect(res.status).toBe(200);
        expect(schema.stopResponse.parse(res.body)).toEqual({ success: true, running: false });
      }
      expect(app.clock.pendingTimers()).toBe(app.housekeepingTimers);
    });

    it('answers 503 on stop when the settings store is unreachable, and keeps running', async () => {
      await app.call('POST', '/api/sync/auto-sync/start');
      app.settings.failWith(new Error('connection refused'));
      const res = await app.call('POST', '/api/sync/auto-sync/stop');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(UNREACHABLE) });
      expect(app.scheduler.isRunning()).toBe(true);
    });

    it('answers 503 on start when the settings store is unreachable, and stays stopped', async () => {
      app.settings.failWith(new Error('connection refused'));
      const res = await app.call('POST', '/api/sync/auto-sync/start');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(UNREACHABLE) });
      expect(app.scheduler.isRunning()).toBe(false);
    });
  });

  describe('intervals', () => {
    it('lists every type in minutes, and whether it is enabled', async () => {
      const res = await app.call('GET', '/api/sync/intervals');
      expect(res.status).toBe(200);
      expect(schema.intervalsResponse.parse(res.body)).toEqual({
        success: true,
        intervals: DEFAULT_INTERVALS,
        enabled: ALL_ENABLED,
        idleMultipliers: Object.fromEntries(SYNC_TYPES.map((t) => [t, 4])),
        offlineMultipliers: Object.fromEntries(SYNC_TYPES.map((t) => [t, 0])),
        windows: Object.fromEntries(SYNC_TYPES.map((t) => [t, null])),
      });
    });

    it.each(['orders', 'sync-orders'])('stores and applies a new interval for %s', async (type) => {
      const res = await app.call('POST', `/api/sync/intervals/${type}`, {
        json: { intervalMinutes: 12 },
      });
      expect(res.status).toBe(200);
      expect(schema.updateIntervalResponse.parse(res.body)).toEqual({
        success: true,
        message: 'Interval for orders set to 12 minutes',
        type: 'orders',
        intervalMinutes: 12,
        idleMultiplier: 4,
        offlineMultiplier: 0,
      });
      expect((await app.settings.loadIntervals()).orders).toBe(12);
      expect((await app.call('GET', '/api/sync/intervals')).body.intervals.orders).toBe(12);
    });

    it('ignores extra fields in the body', async () => {
      const res = await app.call('POST', '/api/sync/intervals/ddt', {
        json: { intervalMinutes: 1440, note: 'nightly' },
      });
      expect(res.status).toBe(200);
      expect(res.body.intervalMinutes).toBe(1440);
    });

    it('refuses an unknown type with 400 naming the field', async () => {
      const res = await app.call('POST', '/api/sync/intervals/widgets', {
        json: { intervalMinutes: 10 },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        success: false,
        error: `type must be one of ${TYPES}.`,
        details: [{ field: 'type', reason: `must be one of ${TYPES}` }],
      });
    });

    it.each([
      ['4', { intervalMinutes: 4 }, 'must be between 5 and 1440 minutes'],
      ['1441', { intervalMinutes: 1441 }, 'must be between 5 and 1440 minutes'],
      ['7.5', { intervalMinutes: 7.5 }, 'must be a whole number of minutes'],
      ['"10"', { intervalMinutes: '10' }, 'must be a number'],
      ['null', { intervalMinutes: null }, 'must be a number'],
    ])('refuses intervalMinutes %s with 400 and changes nothing', async (_, json, reason) => {
      const res = await app.call('POST', '/api/sync/intervals/orders', { json });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        success: false,
        error: `intervalMinutes ${reason}.`,
        details: [{ field: 'intervalMinutes', reason }],
      });
      expect((await app.settings.loadIntervals()).orders).toBe(DEFAULT_INTERVALS.orders);
    });

    it('refuses a body that sets nothing, naming the fields it may set', async () => {
      const reason = 'must set at least one of intervalMinutes, idleMultiplier, offlineMultiplier';
      for (const json of [{}, { note: 'nightly' }]) {
        const res = await app.call('POST', '/api/sync/intervals/orders', { json });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          success: false,
          error: `body ${reason}.`,
          details: [{ field: 'body', reason }],
        });
      }
    });

    it('refuses a body that is not an object', async () => {
      const res = await app.call('POST', '/api/sync/intervals/orders', { json: [10] });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('body must be a JSON object.');
    });

    it('answers 503 when the store fails, leaving store and scheduler unchanged', async () => {
      await app.run();
      const timersBefore = app.clock.pendingTimers();
      app.settings.failWith(new Error('connection refused'));
      const res = await app.call('POST', '/api/sync/intervals/orders', {
        json: { intervalMinutes: 12 },
      });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(UNREACHABLE) });
      expect((await app.call('GET', '/api/sync/intervals')).body.intervals).toEqual(
        DEFAULT_INTERVALS,
      );
      const status = await app.call('GET', '/api/sync/auto-sync/status');
      expect(status.body).toEqual({
        success: true,
        running: true,
        intervals: DEFAULT_INTERVALS,
        enabled: ALL_ENABLED,
      });
      expect(app.clock.pendingTimers()).toBe(timersBefore);
      app.settings.failWith(null);
      expect((await app.settings.loadIntervals()).orders).toBe(DEFAULT_INTERVALS.orders);
    });
  });

  describe('a bug behind a route', () => {
    it('is a 500 with its cause logged, not disguised as an outage (503)', async () => {
      await app.run();
      app.settings.failWith(new TypeError('settings row has no interval'));
      const res = await app.call('POST', '/api/sync/intervals/orders', {
        json: { intervalMinutes: 12 },
      });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ success: false, error: 'Internal server error.' });
      expect(app.logs.join('\n')).toContain('settings row has no interval');
    });

    it('is a 500 for a trigger whose queue throws a bug', async () => {
      app.queue.failWith(new TypeError('job builder broke'));
      const res = await app.call('POST', '/api/sync/trigger/orders');
      expect(res.status).toBe(500);
      expect(app.logs.join('\n')).toContain('job builder broke');
    });
  });

  describe('trigger', () => {
    it('enqueues one job per agent with 202, without a body', async () => {
      const res = await app.call('POST', '/api/sync/trigger/orders');
      expect(res.status).toBe(202);
      expect(schema.triggerResponse.parse(res.body)).toEqual({
        success: true,
        type: 'orders',
        enqueued: 2,
        deduplicated: 0,
        skippedBreaker: 0,
        bypassedBreaker: false,
        deferredBudget: 0,
      });
      expect(app.queue.pendingJobs().map((j) => j.userId)).toEqual(['a-1', 'a-2']);
    });

    it('accepts an empty JSON object and reports duplicates of pending jobs', async () => {
      await app.call('POST', '/api/sync/trigger/sync-customers');
      const res = await app.call('POST', '/api/sync/trigger/sync-customers', { json: {} });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        success: true,
        type: 'customers',
        enqueued: 0,
        deduplicated: 2,
        skippedBreaker: 0,
        bypassedBreaker: false,
        deferredBudget: 0,
      });
    });

    it('enqueues only the agent named by userId', async () => {
      const res = await app.call('POST', '/api/sync/trigger/ddt', { json: { userId: 'a-2' } });
      expect(res.status).toBe(202);
      expect(res.body.enqueued).toBe(1);
      expect(app.queue.pendingJobs()).toEqual([
        expect.objectContaining({ type: 'ddt', userId: 'a-2' }),
      ]);
    });

    it('enqueues the one shared job for a shared type', async () => {
      const res = await app.call('POST', '/api/sync/trigger/prices');
      expect(res.body).toEqual({
        success: true,
        type: 'prices',
        enqueued: 1,
        deduplicated: 0,
        skippedBreaker: 0,
        bypassedBreaker: false,
        deferredBudget: 0,
      });
      expect(app.queue.pendingJobs()[0]?.userId).toBe('service-account');
    });

    it.each([
      [{ userId: '' }, 'userId must not be empty.'],
      [{ userId: 42 }, 'userId must be a string.'],
    ])('refuses the body %j with 400', async (json, error) => {
      const res = await app.call('POST', '/api/sync/trigger/orders', { json });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(error);
    });

    it('refuses a userId for a shared type with 400', async () => {
      const res = await app.call('POST', '/api/sync/trigger/products', { json: { userId: 'a-1' } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        success: false,
        error: 'userId is not accepted: products is shared.',
        details: [{ field: 'userId', reason: 'is not accepted: products is shared' }],
      });
    });

    it('answers 404 for an agent that is not whitelisted', async () => {
      const res = await app.call('POST', '/api/sync/trigger/orders', { json: { userId: 'zz' } });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ success: false, error: 'Agent zz is not a whitelisted agent.' });
    });

    it('refuses an unknown type with 400', async () => {
      const res = await app.call('POST', '/api/sync/trigger/sync-widgets');
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([{ field: 'type', reason: `must be one of ${TYPES}` }]);
    });

    it('answers 503 when the queue is unreachable', async () => {
      app.queue.failWith(new Error('ECONNREFUSED'));
      const res = await app.call('POST', '/api/sync/trigger/orders');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        success: false,
        error: 'The jobs could not be enqueued: the queue is unreachable.',
      });
    });

    it('answers 503 when the agent list is unreachable', async () => {
      app.agents.failWith(new Error('ECONNREFUSED'));
      const res = await app.call('POST', '/api/sync/trigger/invoices');
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('The agent list could not be read: the database is unreachable.');
    });
  });
});
