import { afterEach, describe, expect, it } from 'vitest';
import * as schema from '../../../src/adapters/http/schemas.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import type { SyncEvent } from '../../../src/domain/ports/sync-history.js';
import { SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import { advance, MINUTE } from '../../support/scheduler-fixture.js';
import { REPLICA_ID, startApp, type App, type StartOptions } from './harness.js';

/** The ManualClock's start: every type "just ran" then, unless the app says otherwise. */
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const at = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();
const ALL_ENABLED = Object.fromEntries(SYNC_TYPES.map((t) => [t, true]));

/** One job outcome `minutes` after T0; the id is derived, so each event is distinct. */
function anEvent(type: SyncType, minutes: number, fields: Partial<SyncEvent> = {}): SyncEvent {
  return {
    jobId: `${type}-${minutes}`,
    type,
    userId: 'a-1',
    success: true,
    finishedAt: T0 + minutes * MINUTE,
    durationMs: 1500,
    error: null,
    ...fields,
  };
}

const failed = (type: SyncType, minutes: number) =>
  anEvent(type, minutes, { success: false, error: 'ERP timeout' });

describe('GET /api/sync/monitoring/status', () => {
  let app: App;
  afterEach(async () => {
    await app.close();
  });

  const open = async (options: StartOptions = {}) => {
    app = await startApp(options);
    return app;
  };
  const record = async (...events: SyncEvent[]) => {
    for (const event of events) await app.history.record(event);
  };
  const status = async (query = '') => {
    const res = await app.call('GET', `/api/sync/monitoring/status${query}`);
    expect(res.status).toBe(200);
    return schema.monitoringResponse.parse(res.body);
  };

  describe('schedule', () => {
    it('describes a stopped scheduler: last runs from the run log, no next run', async () => {
      await open();
      const body = await status();
      expect(body.scheduler).toEqual({
        running: false,
        intervals: DEFAULT_INTERVALS,
        enabled: ALL_ENABLED,
      });
      expect(body.currentSync).toBeNull();
      expect(body.activeJobs).toEqual([]);
      expect(body.types.orders).toEqual({
        isRunning: false,
        lastRunTime: at(0),
        nextRunTime: null,
        health: 'idle',
        history: [],
        decisions: [],
        enabled: true,
        intervalMinutes: 10,
        idleMultiplier: 4,
        offlineMultiplier: 0,
        window: null,
        // The in-memory host keeps no activity: every agent counts as active.
        tiers: { active: 2, idle: 0, offline: 0 },
        openBreakers: 0,
      });
      expect(body.types.prices.tiers).toBeNull();
    });

    it("puts each type's next run one interval after its last run while auto-sync runs", async () => {
      await open();
      await app.call('POST', '/api/sync/auto-sync/start');
      await advance(app.clock, 3 * MINUTE);
      const { types } = await status();
      for (const type of SYNC_TYPES) {
        expect(types[type].lastRunTime).toBe(at(0));
        expect(types[type].nextRunTime).toBe(at(DEFAULT_INTERVALS[type]));
      }
    });

    it('moves the last and next run of a type when it ticks, and only of that type', async () => {
      await open();
      await app.call('POST', '/api/sync/auto-sync/start');
      await advance(app.clock, 10 * MINUTE);
      const { types } = await status();
      expect(types.orders).toMatchObject({ lastRunTime: at(10), nextRunTime: at(20) });
      expect(types.customers).toMatchObject({ lastRunTime: at(0), nextRunTime: at(15) });
    });

    it('shows no last run and the next run as now for a type that never ran', async () => {
      await open({ lastRuns: 'never' });
      await app.run();
      const { types } = await status();
      expect(types.orders).toMatchObject({ lastRunTime: null, nextRunTime: at(0) });
    });

    it('shows what workers are doing, the first running type as currentSync', async () => {
      await open();
      await app.call('POST', '/api/sync/trigger/customers');
      await app.call('POST', '/api/sync/trigger/orders');
      app.queue.start('customers', 'a-2');
      app.queue.start('orders', 'a-1');
      const body = await status();
      expect(body.currentSync).toBe('orders');
      expect(body.types.orders.isRunning).toBe(true);
      expect(body.types.customers.isRunning).toBe(true);
      expect(body.types.ddt.isRunning).toBe(false);
      expect(body.activeJobs).toEqual([
        { userId: 'a-2', jobId: expect.any(String), type: 'customers' },
        { userId: 'a-1', jobId: expect.any(String), type: 'orders' },
      ]);
      expect(body.queue).toMatchObject({ active: 2, prioritized: 2 });
    });
  });

  describe('health', () => {
    it('is healthy when auto-sync runs, the type ticked recently and its jobs succeeded', async () => {
      await open();
      await app.run();
      await record(anEvent('orders', 1));
      expect((await status()).types.orders.health).toBe('healthy');
    });

    it('is degraded when one of the newest jobs failed', async () => {
      await open();
      await app.run();
      await record(anEvent('orders', 1), failed('orders', 2));
      const { types } = await status();
      expect(types.orders.health).toBe('degraded');
      expect(types.customers.health).toBe('healthy');
    });

    it('is stale when no replica ticked for over two intervals while auto-sync runs', async () => {
      await open();
      app.leadership.setLeader(false); // this replica follows, and the leader is silent
      await app.run();
      await advance(app.clock, 21 * MINUTE);
      const { types } = await status();
      expect(types.orders).toMatchObject({
        health: 'stale',
        lastRunTime: at(0),
        nextRunTime: at(21), // overdue: now
      });
      expect(types.customers.health).toBe('healthy'); // 21 min < 2 × 15 min
      expect(app.queue.batches).toEqual([]);
    });

    it('is idle while auto-sync is stopped, even for a type that ran', async () => {
      await open();
      await record(anEvent('orders', 0));
      const { types } = await status();
      expect(types.orders).toMatchObject({ health: 'idle', lastRunTime: at(0) });
    });

    it('is idle for a type that never ran, even while auto-sync runs', async () => {
      await open({ lastRuns: 'never' });
      await app.run();
      expect((await status()).types.orders.health).toBe('idle');
    });

    it('is paused for a paused type, which has no next run', async () => {
      await open();
      await app.run();
      await app.call('POST', '/api/sync/pause/orders');
      const body = await status();
      expect(body.types.orders).toMatchObject({
        health: 'paused',
        enabled: false,
        nextRunTime: null,
        lastRunTime: at(0),
      });
      expect(body.scheduler.enabled).toEqual({ ...ALL_ENABLED, orders: false });
      expect(body.types.customers).toMatchObject({ health: 'healthy', enabled: true });
    });
  });

  describe('history', () => {
    it('lists outcomes newest first with timestamp, duration, success, class and error', async () => {
      await open();
      await record(
        anEvent('orders', 1),
        failed('orders', 3),
        anEvent('orders', 2, { durationMs: null }),
      );
      expect((await status()).types.orders.history).toEqual([
        {
          timestamp: at(3),
          duration: 1500,
          success: false,
          class: 'failed',
          error: 'ERP timeout',
        },
        { timestamp: at(2), duration: null, success: true, class: 'completed', error: null },
        { timestamp: at(1), duration: 1500, success: true, class: 'completed', error: null },
      ]);
    });

    it("lists the ticks' decisions per type, newest first, at most ?limit", async () => {
      await open();
      await app.history.recordDecisions([
        { type: 'orders', at: T0 + MINUTE, class: 'skipped_breaker', count: 2 },
        { type: 'orders', at: T0 + 2 * MINUTE, class: 'deduplicated', count: 40 },
        { type: 'orders', at: T0 + 3 * MINUTE, class: 'deduplicated', count: 41 },
      ]);
      const { types } = await status('?limit=2');
      expect(types.orders.decisions).toEqual([
        { timestamp: at(3), class: 'deduplicated', count: 41 },
        { timestamp: at(2), class: 'deduplicated', count: 40 },
      ]);
      expect(types.prices.decisions).toEqual([]);
    });

    it('returns at most ?limit outcomes per type, the newest', async () => {
      await open();
      await record(anEvent('orders', 1), anEvent('orders', 2), anEvent('orders', 3));
      await record(anEvent('prices', 1));
      const { types } = await status('?limit=2');
      expect(types.orders.history.map((h) => h.timestamp)).toEqual([at(3), at(2)]);
      expect(types.prices.history).toHaveLength(1);
      expect(types.ddt.history).toEqual([]);
    });

    it('returns 10 outcomes per type by default', async () => {
      await open();
      await record(...Array.from({ length: 12 }, (_, i) => anEvent('ddt', i)));
      const { history } = (await status()).types.ddt;
      expect(history).toHaveLength(10);
      expect(history[0]?.timestamp).toBe(at(11));
    });

    it('judges health on the newest outcomes even when ?limit shows fewer', async () => {
      await open();
      await app.run();
      await record(failed('orders', 1), anEvent('orders', 2), anEvent('orders', 3));
      const { types } = await status('?limit=1');
      expect(types.orders.history).toEqual([expect.objectContaining({ success: true })]);
      expect(types.orders.health).toBe('degraded');
    });

    it.each(['0', '101', 'abc', '2.5', '-1', ''])(
      'refuses ?limit=%s with 400 naming limit',
      async (limit) => {
        await open();
        const res = await app.call('GET', `/api/sync/monitoring/status?limit=${limit}`);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatch(/^limit /);
        expect(res.body.details[0].field).toBe('limit');
      },
    );
  });

  describe('leadership', () => {
    it('reports this replica as the leader', async () => {
      await open();
      expect((await status()).leader).toEqual({ replicaId: REPLICA_ID, isLeader: true });
    });

    it('reports a follower, with the schedule the leader keeps', async () => {
      await open();
      app.leadership.setLeader(false);
      await app.run();
      const body = await status();
      expect(body.leader).toEqual({ replicaId: REPLICA_ID, isLeader: false });
      expect(app.clock.pendingTimers()).toBe(app.housekeepingTimers);
      expect(body.types.orders).toMatchObject({ lastRunTime: at(0), nextRunTime: at(10) });
    });
  });

  describe('failures', () => {
    it.each([
      ['queue', 'The queue status could not be read: the queue is unreachable.'],
      ['runLog', 'The last run times could not be read: the run log is unreachable.'],
      ['history', 'The sync history could not be read: the sync history is unreachable.'],
    ] as const)('answers 503 naming the %s when it cannot be read', async (part, error) => {
      await open();
      app[part].failWith(new Error('ECONNREFUSED'));
      const res = await app.call('GET', '/api/sync/monitoring/status');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ success: false, error });
    });
  });
});
