import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeWindow } from '../../../src/adapters/http/routes/windows-routes.js';
import * as schema from '../../../src/adapters/http/schemas.js';
import { defaultTypeSettings } from '../../../src/domain/desired-state.js';
import { SYNC_TYPES } from '../../../src/domain/sync-types.js';
import { startApp, type App } from './harness.js';

const UNREACHABLE = /settings store is unreachable\.$/;
const WEEKDAYS = { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Rome' };
const TIME = 'must be a time "HH:MM" from 00:00 to 23:59';
const DAY = 'must be an ISO weekday: a whole number from 1 (Monday) to 7 (Sunday)';
const ZONE = 'must be an IANA time zone, e.g. Europe/Rome';
const RANGE = 'must be between 0 and 100';

describe('admin API: tier multipliers and working windows', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(async () => {
    await app.close();
  });

  /** The store and the scheduler agree, and hold exactly `version`. */
  const expectApplied = async (version: number) => {
    const stored = await app.settings.loadSettings();
    expect(stored.version).toBe(version);
    expect(app.scheduler.version()).toBe(version);
    for (const type of SYNC_TYPES)
      expect(app.scheduler.settingsOf(type)).toEqual(stored.types[type]);
  };

  describe('POST /intervals/:type with multipliers', () => {
    it('stores and applies one multiplier alone, keeping the interval', async () => {
      const res = await app.call('POST', '/api/sync/intervals/orders', {
        json: { idleMultiplier: 6 },
      });
      expect(res.status).toBe(200);
      expect(schema.updateIntervalResponse.parse(res.body)).toEqual({
        success: true,
        message: 'Settings for orders set: idle multiplier 6',
        type: 'orders',
        intervalMinutes: 10,
        idleMultiplier: 6,
        offlineMultiplier: 0,
      });
      expect(app.scheduler.settingsOf('orders')).toEqual({
        ...defaultTypeSettings('orders'),
        idleMultiplier: 6,
      });
    });

    it('stores all three as one change (one version) and the scheduler applies it', async () => {
      await app.run();
      const before = app.scheduler.version();
      const res = await app.call('POST', '/api/sync/intervals/sync-invoices', {
        json: { intervalMinutes: 45, idleMultiplier: 3, offlineMultiplier: 24 },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        message:
          'Settings for invoices set: interval 45 minutes, idle multiplier 3, offline multiplier 24',
        type: 'invoices',
        intervalMinutes: 45,
        idleMultiplier: 3,
        offlineMultiplier: 24,
      });
      await expectApplied(before + 1);
      expect(app.scheduler.scheduleOf('invoices').intervalMinutes).toBe(45);
      expect(app.scheduler.settingsOf('invoices')).toMatchObject({
        idleMultiplier: 3,
        offlineMultiplier: 24,
      });
    });

    it('lists the multipliers per type in GET /intervals', async () => {
      await app.call('POST', '/api/sync/intervals/prices', {
        json: { idleMultiplier: 0, offlineMultiplier: 100 },
      });
      const res = await app.call('GET', '/api/sync/intervals');
      const body = schema.intervalsResponse.parse(res.body);
      expect(body.idleMultipliers).toEqual({ ...each(4), prices: 0 });
      expect(body.offlineMultipliers).toEqual({ ...each(0), prices: 100 });
    });

    it.each([
      ['idleMultiplier', -1, RANGE],
      ['idleMultiplier', 101, RANGE],
      ['idleMultiplier', 1.5, 'must be a whole number'],
      ['idleMultiplier', '4', 'must be a number'],
      ['offlineMultiplier', null, 'must be a number'],
      ['offlineMultiplier', true, 'must be a number'],
      ['offlineMultiplier', 1e9, RANGE],
    ])('refuses %s %j with 400 naming it, and stores nothing', async (field, value, reason) => {
      const before = await app.settings.loadSettings();
      const res = await app.call('POST', '/api/sync/intervals/orders', {
        json: { intervalMinutes: 30, [field]: value },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        success: false,
        error: `${field} ${reason}.`,
        details: [{ field, reason }],
      });
      expect(await app.settings.loadSettings()).toEqual(before);
      expect(app.scheduler.settingsOf('orders')).toEqual(before.types.orders);
    });

    it('names every bad field at once, the first in the sentence', async () => {
      const res = await app.call('POST', '/api/sync/intervals/orders', {
        json: { intervalMinutes: 4, idleMultiplier: -1, offlineMultiplier: 'x' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('intervalMinutes must be between 5 and 1440 minutes.');
      expect(res.body.details).toEqual([
        { field: 'intervalMinutes', reason: 'must be between 5 and 1440 minutes' },
        { field: 'idleMultiplier', reason: RANGE },
        { field: 'offlineMultiplier', reason: 'must be a number' },
      ]);
    });

    it('answers 503 when the store is unreachable, and nothing changes', async () => {
      await app.run();
      const before = await app.settings.loadSettings();
      const timers = app.clock.pendingTimers();
      app.settings.failUnreachable();
      const res = await app.call('POST', '/api/sync/intervals/orders', {
        json: { intervalMinutes: 30, idleMultiplier: 9 },
      });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(UNREACHABLE) });
      expect(app.scheduler.settingsOf('orders')).toEqual(before.types.orders);
      expect(app.clock.pendingTimers()).toBe(timers);
      app.settings.failUnreachable(false);
      await expectApplied(before.version);
    });
  });

  describe('GET /windows', () => {
    it('lists every type, null while it has no window', async () => {
      const res = await app.call('GET', '/api/sync/windows');
      expect(res.status).toBe(200);
      expect(schema.windowsResponse.parse(res.body)).toEqual({
        success: true,
        windows: each(null),
      });
    });
  });

  describe('PUT /windows/:type', () => {
    it('stores and applies a window, answering what was stored', async () => {
      const before = app.scheduler.version();
      const res = await app.call('PUT', '/api/sync/windows/orders', { json: WEEKDAYS });
      expect(res.status).toBe(200);
      expect(schema.windowResponse.parse(res.body)).toEqual({
        success: true,
        type: 'orders',
        window: WEEKDAYS,
        message: 'Working window for orders set to Mon–Fri 07:00–20:00 Europe/Rome',
      });
      await expectApplied(before + 1);
      expect(app.scheduler.settingsOf('orders').window).toEqual(WEEKDAYS);
      const all = await app.call('GET', '/api/sync/windows');
      expect(all.body.windows).toEqual({ ...each(null), orders: WEEKDAYS });
      expect((await app.call('GET', '/api/sync/intervals')).body.windows.orders).toEqual(WEEKDAYS);
    });

    it('works for a shared type, and under the sync-<type> spelling', async () => {
      const night = { from: '22:00', to: '05:30', days: [7, 6], timeZone: 'UTC' };
      const res = await app.call('PUT', '/api/sync/windows/sync-prices', { json: night });
      expect(res.status).toBe(200);
      // Days are stored ascending, whatever order they came in.
      expect(res.body.window).toEqual({ ...night, days: [6, 7] });
      expect(res.body.message).toBe('Working window for prices set to Sat, Sun 22:00–05:30 UTC');
      expect(app.scheduler.settingsOf('prices').window).toEqual({ ...night, days: [6, 7] });
    });

    it('replaces a window, and ignores extra fields', async () => {
      await app.call('PUT', '/api/sync/windows/ddt', { json: WEEKDAYS });
      const next = { from: '06:00', to: '14:00', days: [1, 3, 5], timeZone: 'America/New_York' };
      const res = await app.call('PUT', '/api/sync/windows/ddt', {
        json: { ...next, note: 'early shift' },
      });
      expect(res.status).toBe(200);
      expect(app.scheduler.settingsOf('ddt').window).toEqual(next);
      expect((await app.settings.loadSettings()).types.ddt.window).toStrictEqual(next);
    });

    it.each([
      ['from missing', { from: undefined }, 'from', 'is required'],
      ['from 24:00', { from: '24:00' }, 'from', TIME],
      ['from 7:00', { from: '7:00' }, 'from', TIME],
      ['from as a number', { from: 700 }, 'from', TIME],
      ['to 20:60', { to: '20:60' }, 'to', TIME],
      [
        'to equal to from',
        { to: '07:00' },
        'to',
        'must differ from "from": a window cannot be empty',
      ],
      ['days missing', { days: undefined }, 'days', 'is required'],
      ['days empty', { days: [] }, 'days', 'must name at least one day'],
      ['days repeated', { days: [1, 2, 1] }, 'days', 'must not repeat a day'],
      ['day 0', { days: [0, 1] }, 'days.0', DAY],
      ['day 8', { days: [1, 8] }, 'days.1', DAY],
      ['day 1.5', { days: [1.5] }, 'days.0', DAY],
      ['day "1"', { days: ['1'] }, 'days.0', DAY],
      [
        'days as text',
        { days: 'Mon-Fri' },
        'days',
        'must be an array of ISO weekdays (1 = Monday … 7 = Sunday)',
      ],
      ['timeZone missing', { timeZone: undefined }, 'timeZone', 'is required'],
      ['an unknown timeZone', { timeZone: 'Mars/Olympus' }, 'timeZone', ZONE],
      ['an offset as timeZone', { timeZone: '+01:00' }, 'timeZone', ZONE],
      ['an empty timeZone', { timeZone: '' }, 'timeZone', ZONE],
      ['timeZone as a number', { timeZone: 1 }, 'timeZone', 'must be a string'],
    ])(
      'refuses %s with 400 naming the field, and stores nothing',
      async (_, change, field, reason) => {
        const before = await app.settings.loadSettings();
        const res = await app.call('PUT', '/api/sync/windows/orders', {
          json: { ...WEEKDAYS, ...change },
        });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          success: false,
          error: `${field} ${reason}.`,
          details: [{ field, reason }],
        });
        expect(await app.settings.loadSettings()).toEqual(before);
        expect(app.scheduler.settingsOf('orders').window).toBeNull();
      },
    );

    it('refuses a body that is not an object', async () => {
      const array = await app.call('PUT', '/api/sync/windows/orders', { json: [WEEKDAYS] });
      expect(array.status).toBe(400);
      expect(array.body).toEqual({
        success: false,
        error: 'body must be a JSON object.',
        details: [{ field: 'body', reason: 'must be a JSON object' }],
      });
      // The JSON parser is strict: a bare value is not a body.
      for (const json of [null, '07:00-20:00']) {
        const res = await app.call('PUT', '/api/sync/windows/orders', { json });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ success: false, error: 'The request body is not valid JSON.' });
      }
    });

    it('refuses a request without a body, an unknown type and a non-JSON body', async () => {
      const empty = await app.call('PUT', '/api/sync/windows/orders');
      expect(empty.status).toBe(400);
      expect(empty.body.details.map((d: { field: string }) => d.field)).toEqual([
        'from',
        'to',
        'days',
        'timeZone',
      ]);
      const unknown = await app.call('PUT', '/api/sync/windows/widgets', { json: WEEKDAYS });
      expect(unknown.status).toBe(400);
      expect(unknown.body.details).toEqual([
        {
          field: 'type',
          reason: 'must be one of orders, customers, ddt, invoices, products, prices',
        },
      ]);
      const text = await app.call('PUT', '/api/sync/windows/orders', {
        raw: 'from=07:00',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
      expect(app.scheduler.settingsOf('orders').window).toBeNull();
    });

    it('answers 405 with Allow for another method on the same path', async () => {
      const res = await app.call('POST', '/api/sync/windows/orders', { json: WEEKDAYS });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toMatch(/PUT/);
      expect(res.headers.get('allow')).toMatch(/DELETE/);
    });

    it('asks for a token first', async () => {
      const res = await app.call('PUT', '/api/sync/windows/orders', {
        json: WEEKDAYS,
        token: null,
      });
      expect(res.status).toBe(401);
      expect(app.scheduler.settingsOf('orders').window).toBeNull();
    });

    it('answers 503 when the store is unreachable, and nothing changes', async () => {
      const before = await app.settings.loadSettings();
      app.settings.failUnreachable();
      const res = await app.call('PUT', '/api/sync/windows/orders', { json: WEEKDAYS });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(UNREACHABLE) });
      expect(app.scheduler.settingsOf('orders').window).toBeNull();
      app.settings.failUnreachable(false);
      await expectApplied(before.version);
    });
  });

  describe('DELETE /windows/:type', () => {
    it('clears a window, idempotently', async () => {
      await app.call('PUT', '/api/sync/windows/customers', { json: WEEKDAYS });
      for (let i = 0; i < 2; i++) {
        const res = await app.call('DELETE', '/api/sync/windows/customers');
        expect(res.status).toBe(200);
        expect(schema.windowResponse.parse(res.body)).toEqual({
          success: true,
          type: 'customers',
          window: null,
          message: 'Working window for customers cleared: it may sync at any hour',
        });
        expect(app.scheduler.settingsOf('customers').window).toBeNull();
      }
      expect((await app.call('GET', '/api/sync/windows')).body.windows).toEqual(each(null));
    });

    it('refuses an unknown type with 400', async () => {
      const res = await app.call('DELETE', '/api/sync/windows/sync-widgets');
      expect(res.status).toBe(400);
      expect(res.body.details[0].field).toBe('type');
    });

    it('answers 503 when the store is unreachable, and keeps the window', async () => {
      await app.call('PUT', '/api/sync/windows/orders', { json: WEEKDAYS });
      const before = await app.settings.loadSettings();
      app.settings.failUnreachable();
      const res = await app.call('DELETE', '/api/sync/windows/orders');
      expect(res.status).toBe(503);
      expect(res.body.error).toMatch(UNREACHABLE);
      expect(app.scheduler.settingsOf('orders').window).toEqual(WEEKDAYS);
      app.settings.failUnreachable(false);
      await expectApplied(before.version);
    });
  });
});

describe('describeWindow', () => {
  it.each([
    [[1, 2, 3, 4, 5], 'Mon–Fri'],
    [[1, 3, 5], 'Mon, Wed, Fri'],
    [[6, 7], 'Sat, Sun'],
    [[1, 2, 3, 5, 6, 7], 'Mon–Wed, Fri–Sun'],
    [[1, 2, 3, 4, 5, 6, 7], 'Mon–Sun'],
    [[4], 'Thu'],
  ])('writes the days %j as %s', (days, text) => {
    expect(describeWindow({ from: '08:00', to: '17:00', days, timeZone: 'UTC' })).toBe(
      `${text} 08:00–17:00 UTC`,
    );
  });
});

const each = <V>(value: V) => Object.fromEntries(SYNC_TYPES.map((type) => [type, value]));
