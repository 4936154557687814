import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_INTERVALS, type Intervals } from '../../../src/domain/interval.js';
import type { SyncSettings } from '../../../src/domain/ports/settings-store.js';
import { spreadDelayMs } from '../../../src/domain/spread.js';
import { SYNC_TYPES } from '../../../src/domain/sync-types.js';
import { advance, aScheduler, MINUTE, settle } from '../../support/scheduler-fixture.js';

/** Agents as the registry lists them, activity unknown. */
const asAgents = (ids: readonly string[]) => ids.map((id) => ({ id, lastActivityAt: null }));

const typesOf = (batch: { type: string }[]) => [...new Set(batch.map((j) => j.type))];

/** A committed desired state as a store would hand it out (every type enabled). */
const stateWith = (
  version: number,
  { running = true, intervals = DEFAULT_INTERVALS }: { running?: boolean; intervals?: Intervals },
): SyncSettings => ({
  version,
  running,
  types: Object.fromEntries(
    SYNC_TYPES.map((t) => [t, { intervalMinutes: intervals[t], enabled: true }]),
  ) as SyncSettings['types'],
});

const EVERY_5: Intervals = {
  orders: 5,
  customers: 5,
  ddt: 5,
  invoices: 5,
  products: 5,
  prices: 5,
};

describe('SchedulingService', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  describe('apply (a running state, while leading)', () => {
    it('takes the stored intervals and creates one timer per type', async () => {
      const { scheduler, settings, clock, start } = aScheduler();
      await settings.saveInterval('orders', 12);
      await start();
      expect(scheduler.isRunning()).toBe(true);
      expect(scheduler.getDetailedIntervals().orders).toBe(12);
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
    });

    it('fires each type on its own interval, first one interval after its last run', async () => {
      const { clock, queue, start } = aScheduler();
      await start();
      await advance(clock, 10 * MINUTE - 1);
      expect(queue.batches).toHaveLength(0);
      await advance(clock, 1);
      expect(queue.batches.map(typesOf)).toEqual([['orders']]);
      await advance(clock, 5 * MINUTE);
      expect(queue.batches.map(typesOf)).toEqual([['orders'], ['customers']]);
      await advance(clock, 5 * MINUTE);
      expect(queue.batches.map(typesOf).slice(2).flat().sort()).toEqual([
        'ddt',
        'invoices',
        'orders',
      ]);
      await advance(clock, 40 * MINUTE);
      const firings = queue.batches.map((b) => b[0]?.type);
      expect(firings.filter((t) => t === 'orders')).toHaveLength(6);
      expect(firings.filter((t) => t === 'customers')).toHaveLength(4);
      expect(firings.filter((t) => t === 'products')).toHaveLength(2);
      expect(firings.filter((t) => t === 'prices')).toHaveLength(1);
    });

    it('ticks on the intervals of the state it is given, whatever the store holds', async () => {
      const { scheduler, clock, queue, start } = aScheduler();
      await start();
      expect(scheduler.apply(stateWith(2, { intervals: EVERY_5 }))).toBe(true);
      await advance(clock, 5 * MINUTE);
      expect(queue.batches).toHaveLength(6);
    });

    it('leaks no timer when running is applied again and again, or the lease is re-granted', async () => {
      const { scheduler, clock, queue, settings, leadership, start, run, stop } = aScheduler();
      await start();
      await run();
      await run();
      expect(scheduler.apply(await settings.loadSettings())).toBe(false);
      await scheduler.setLeader(leadership.currentLease());
      await scheduler.setLeader(leadership.currentLease());
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
      await advance(clock, 10 * MINUTE);
      expect(queue.batches).toHaveLength(1);
      await stop();
      expect(clock.pendingTimers()).toBe(0);
    });
  });

  describe('apply (versions)', () => {
    it('ignores an older or an equal version and applies a newer one', async () => {
      const { scheduler, clock, start } = aScheduler();
      await start();
      const applied = scheduler.version();
      expect(scheduler.apply(stateWith(applied, { intervals: EVERY_5 }))).toBe(false);
      expect(scheduler.apply(stateWith(applied - 1, { running: false }))).toBe(false);
      expect(scheduler.version()).toBe(applied);
      expect(scheduler.isRunning()).toBe(true);
      expect(scheduler.getDetailedIntervals()).toEqual(DEFAULT_INTERVALS);
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);

      expect(scheduler.apply(stateWith(applied + 1, { intervals: EVERY_5 }))).toBe(true);
      expect(scheduler.version()).toBe(applied + 1);
      expect(scheduler.getDetailedIntervals()).toEqual(EVERY_5);
    });

    it('reports version 0 and applies any first state', () => {
      const { scheduler } = aScheduler();
      expect(scheduler.version()).toBe(0);
      expect(scheduler.apply(stateWith(1, { running: false }))).toBe(true);
      expect(scheduler.version()).toBe(1);
    });
  });

  describe('a stopped state', () => {
    it('clears every timer so nothing fires afterwards', async () => {
      const { scheduler, clock, queue, start, stop } = aScheduler();
      await start();
      await stop();
      expect(scheduler.isRunning()).toBe(false);
      expect(clock.pendingTimers()).toBe(0);
      await advance(clock, 24 * 60 * MINUTE);
      expect(queue.batches).toHaveLength(0);
    });

    it('is harmless when applied twice or before leadership was ever granted', async () => {
      const { scheduler, clock, stop } = aScheduler();
      await stop();
      await stop();
      expect(scheduler.isRunning()).toBe(false);
      expect(clock.pendingTimers()).toBe(0);
    });
  });

  describe('a tick', () => {
    it('enqueues one job per agent for an agent type, in one batch', async () => {
      const { clock, queue, start } = aScheduler({ agents: ['a-1', 'a-2', 'a-3'] });
      await start();
      await advance(clock, 10 * MINUTE);
      expect(queue.batches).toHaveLength(1);
      expect(queue.batches[0]).toEqual(
        ['a-1', 'a-2', 'a-3'].map((userId) => ({
          type: 'orders',
          userId,
          timestamp: clock.now(),
          delayMs: spreadDelayMs('orders', userId, 60_000),
        })),
      );
    });

    // 100,000 agents built in one block held the event loop for ~0.4 s (BENCHMARKS.md §8).
    it('walks a large roster in slices, letting the event loop in between, and sends it in one batch', async () => {
      const fleet = Array.from({ length: 25_000 }, (_, i) => `a-${i}`);
      const { clock, queue, start } = aScheduler({ agents: fleet });
      await start();
      clock.advance(10 * MINUTE);
      let sentWhenLoopRan: number | undefined;
      setImmediate(() => (sentWhenLoopRan = queue.batches.length));
      await settle();
      expect(sentWhenLoopRan).toBe(0);
      expect(queue.batches).toHaveLength(1);
      expect(queue.batches[0]?.map((job) => job.userId)).toEqual(fleet);
      expect(queue.batches[0]?.[24_999]).toEqual({
        type: 'orders',
        userId: 'a-24999',
        timestamp: clock.now(),
        delayMs: spreadDelayMs('orders', 'a-24999', 60_000),
      });
    });

    it('enqueues exactly one service-account job for a shared type, even with no agents', async () => {
      const { clock, queue, agents, start } = aScheduler({ agents: [] });
      await start();
      await advance(clock, 30 * MINUTE);
      const products = queue.batches.filter((b) => b[0]?.type === 'products');
      expect(products).toEqual([
        [{ type: 'products', userId: 'service-account', timestamp: clock.now() }],
      ]);
      expect(agents.calls).toBeGreaterThan(0);
    });

    it('enqueues nothing for an agent type when there are no agents', async () => {
      const { clock, queue, observer, start } = aScheduler({ agents: [] });
      await start();
      await advance(clock, 10 * MINUTE);
      expect(queue.batches).toHaveLength(0);
      expect(observer.completed).toEqual([
        {
          type: 'orders',
          agents: 0,
          added: 0,
          deduplicated: 0,
          fenced: 0,
          skippedBreaker: 0,
          durationMs: 0,
        },
      ]);
    });

    it('counts jobs that are still pending as deduplicated', async () => {
      const { clock, observer, queue, start } = aScheduler();
      await start();
      await advance(clock, 10 * MINUTE);
      queue.complete('orders', 'a-1');
      await advance(clock, 10 * MINUTE);
      const orders = observer.completed.filter((r) => r.type === 'orders');
      expect(orders.map((r) => [r.added, r.deduplicated])).toEqual([
        [3, 0],
        [1, 2],
      ]);
    });

    it('survives a failing agent lookup, reports it, and the next tick enqueues again', async () => {
      const { scheduler, clock, queue, agents, observer, start } = aScheduler();
      await start();
      agents.failWith(new Error('ECONNREFUSED'));
      await advance(clock, 10 * MINUTE);
      expect(observer.failed).toMatchObject([{ type: 'orders', stage: 'agentLookup' }]);
      agents.failWith(null);
      await advance(clock, 10 * MINUTE);
      expect(queue.pendingJobs().filter((j) => j.type === 'orders')).toHaveLength(3);
      expect(scheduler.isRunning()).toBe(true);
    });

    it('survives a failing enqueue, reports it, and the next tick enqueues again', async () => {
      const { clock, observer, queue, start } = aScheduler();
      await start();
      queue.failWith(new Error('Redis connection lost'));
      await advance(clock, 10 * MINUTE);
      expect(observer.failed).toMatchObject([{ type: 'orders', stage: 'enqueue' }]);
      queue.failWith(null);
      await advance(clock, 10 * MINUTE);
      expect(observer.completed.filter((r) => r.type === 'orders')).toMatchObject([{ added: 3 }]);
    });

    it('survives a bug in a port (not only an outage) without an unhandled rejection', async () => {
      const { clock, observer, agents, start } = aScheduler();
      await start();
      agents.failWith(new TypeError('agents is not iterable'));
      await advance(clock, 10 * MINUTE);
      expect(observer.failed).toMatchObject([{ type: 'orders', stage: 'agentLookup' }]);
      expect(observer.failed[0]?.error).toBeInstanceOf(TypeError);
    });

    it('does nothing but report a skip while the previous tick of its type is in flight', async () => {
      const { scheduler, clock, agents, observer, start } = aScheduler({
        intervals: {
          orders: 5,
          customers: 1440,
          ddt: 1440,
          invoices: 1440,
          products: 1440,
          prices: 1440,
        },
      });
      let release: (ids: string[]) => void = () => {};
      agents.listAgents = () =>
        new Promise((resolve) => (release = (ids) => resolve(asAgents(ids))));
      await start();
      await advance(clock, 5 * MINUTE);
      expect(scheduler.scheduleOf('orders').ticking).toBe(true);
      await advance(clock, 5 * MINUTE);
      expect(observer.skipped).toEqual(['orders']);
      release(['a-1']);
      await settle();
      expect(scheduler.scheduleOf('orders').ticking).toBe(false);
      expect(observer.completed).toMatchObject([{ type: 'orders', added: 1 }]);
    });

    it('keeps the schedule going when the observer throws', async () => {
      const { clock, queue, observer, start } = aScheduler();
      observer.tickCompleted = () => {
        throw new Error('observer bug');
      };
      await start();
      await advance(clock, 20 * MINUTE);
      expect(queue.batches.filter((b) => b[0]?.type === 'orders')).toHaveLength(2);
    });

    it('lets drain() wait for a tick in flight', async () => {
      const { scheduler, clock, agents, observer, start, stop } = aScheduler();
      let release: (ids: string[]) => void = () => {};
      agents.listAgents = () =>
        new Promise((resolve) => (release = (ids) => resolve(asAgents(ids))));
      await start();
      clock.advance(10 * MINUTE);
      await stop();
      const drained = scheduler.drain();
      release(['a-1']);
      await drained;
      expect(observer.completed).toMatchObject([{ type: 'orders', added: 1 }]);
    });
  });

  describe('a new interval', () => {
    it('applies from the next cycle', async () => {
      const { scheduler, clock, settings, queue, start, setInterval } = aScheduler();
      await start();
      await advance(clock, 10 * MINUTE); // orders ran at 10
      await setInterval('orders', 5); // at 10: next due at 15
      expect((await settings.loadIntervals()).orders).toBe(5);
      expect(scheduler.getDetailedIntervals().orders).toBe(5);
      expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 5 * MINUTE);
      await advance(clock, 5 * MINUTE);
      expect(queue.batches.filter((b) => b[0]?.type === 'orders')).toHaveLength(2);
    });

    it("restarts only that type's timer, leaking none", async () => {
      const { scheduler, clock, start, setInterval } = aScheduler();
      await start();
      await advance(clock, 4 * MINUTE);
      const before = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
      await setInterval('ddt', 30);
      await setInterval('ddt', 25);
      const after = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
      SYNC_TYPES.forEach((type, i) => {
        if (type !== 'ddt') expect(after[i]).toBe(before[i]);
      });
      // One new interval after its last run (at start), not after the change.
      expect(scheduler.scheduleOf('ddt').nextRunAt).toBe(clock.now() - 4 * MINUTE + 25 * MINUTE);
    });

    it('only takes the value while stopped, creating no timer', async () => {
      const { scheduler, clock, start, stop, run, setInterval } = aScheduler();
      await start();
      await stop();
      await setInterval('prices', 90);
      expect(clock.pendingTimers()).toBe(0);
      expect(scheduler.getDetailedIntervals().prices).toBe(90);
      await run();
      expect(scheduler.getDetailedIntervals().prices).toBe(90);
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
    });
  });

  describe('close', () => {
    it('arms no timer afterwards, neither for a newer running state nor for a new lease', async () => {
      const { scheduler, clock, queue, settings, leadership, start } = aScheduler();
      await start();
      const applied = scheduler.version();
      scheduler.close();
      expect(clock.pendingTimers()).toBe(0);

      expect(scheduler.apply(await settings.saveInterval('orders', 5))).toBe(false);
      expect(scheduler.apply(stateWith(applied + 10, { running: true }))).toBe(false);
      await scheduler.setLeader(leadership.currentLease());
      leadership.setLeader(false);
      leadership.setLeader(true); // a fresh term, reported through the fixture's election
      await settle();

      expect(clock.pendingTimers()).toBe(0);
      expect(scheduler.version()).toBe(applied);
      expect(scheduler.isLeader()).toBe(false);
      await advance(clock, 24 * 60 * MINUTE);
      expect(queue.batches).toHaveLength(0);
    });

    it('wins over a lease gain still loading the last runs', async () => {
      const { scheduler, clock, leadership, start } = aScheduler({ leader: false });
      await start();
      leadership.setLeader(true); // the gain now awaits the run log
      scheduler.close();
      await settle();
      expect(clock.pendingTimers()).toBe(0);
      expect(scheduler.isLeader()).toBe(false);
    });
  });

  describe('getIntervals', () => {
    it('reports milliseconds, while getDetailedIntervals reports minutes', async () => {
      const { scheduler, start } = aScheduler();
      await start();
      expect(scheduler.getIntervals()).toEqual({
        orders: 600_000,
        customers: 900_000,
        ddt: 1_200_000,
        invoices: 1_200_000,
        products: 1_800_000,
        prices: 3_600_000,
      });
      expect(scheduler.getDetailedIntervals().prices).toBe(60);
    });

    it('reports the defaults, all enabled and not running, before any state is applied', () => {
      const { scheduler } = aScheduler();
      expect(scheduler.getDetailedIntervals()).toEqual(DEFAULT_INTERVALS);
      expect(Object.values(scheduler.getEnabled()).every(Boolean)).toBe(true);
      expect(scheduler.isRunning()).toBe(false);
      expect(scheduler.isLeader()).toBe(false);
    });
  });
});
