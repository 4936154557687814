import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SchedulerError } from '../../../src/domain/errors.js';
import { spreadDelayMs } from '../../../src/domain/spread.js';
import { SYNC_TYPES } from '../../../src/domain/sync-types.js';
import { advance, aScheduler, MINUTE, settle } from '../../support/scheduler-fixture.js';

const typesOf = (batch: { type: string }[]) => [...new Set(batch.map((j) => j.type))];

describe('Scheduler', () => {
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

  describe('start', () => {
    it('loads the saved intervals and creates one timer per type', async () => {
      const { scheduler, settings, clock } = aScheduler();
      await settings.saveInterval('orders', 12);
      await scheduler.start();
      expect(scheduler.isRunning()).toBe(true);
      expect(scheduler.getDetailedIntervals().orders).toBe(12);
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
    });

    it('fires each type on its own interval, first one interval after its last run', async () => {
      const { scheduler, clock, queue } = aScheduler();
      await scheduler.start();
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

    it('uses the intervals it is given instead of the store', async () => {
      const { scheduler, clock, queue } = aScheduler();
      await scheduler.start({
        orders: 5,
        customers: 5,
        ddt: 5,
        invoices: 5,
        products: 5,
        prices: 5,
      });
      await advance(clock, 5 * MINUTE);
      expect(queue.batches).toHaveLength(6);
    });

    it('refuses invalid given intervals and changes nothing', async () => {
      const { scheduler, clock } = aScheduler();
      const bad = { orders: 4, customers: 15, ddt: 20, invoices: 20, products: 30, prices: 60 };
      await expect(scheduler.start(bad)).rejects.toMatchObject({ kind: 'invalidInput' });
      expect(scheduler.isRunning()).toBe(false);
      expect(clock.pendingTimers()).toBe(0);
    });

    it('reports "unavailable" and stays stopped when the store cannot be read', async () => {
      const { scheduler, settings, clock } = aScheduler();
      settings.failWith(new Error('connection refused'));
      await expect(scheduler.start()).rejects.toMatchObject({ kind: 'unavailable' });
      expect(scheduler.isRunning()).toBe(false);
      expect(clock.pendingTimers()).toBe(0);
    });

    it('replaces the timers when called while running, leaking none', async () => {
      const { scheduler, clock, queue } = aScheduler();
      await scheduler.start();
      await scheduler.start();
      await scheduler.start();
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
      await advance(clock, 10 * MINUTE);
      expect(queue.batches).toHaveLength(1);
      scheduler.stop();
      expect(clock.pendingTimers()).toBe(0);
    });
  });

  describe('stop', () => {
    it('clears every timer so nothing fires afterwards', async () => {
      const { scheduler, clock, queue } = aScheduler();
      await scheduler.start();
      scheduler.stop();
      expect(scheduler.isRunning()).toBe(false);
      expect(clock.pendingTimers()).toBe(0);
      await advance(clock, 24 * 60 * MINUTE);
      expect(queue.batches).toHaveLength(0);
    });

    it('is harmless when called twice or before start', () => {
      const { scheduler } = aScheduler();
      scheduler.stop();
      scheduler.stop();
      expect(scheduler.isRunning()).toBe(false);
    });

    it('lets an overlapping start resolve only once the newer start has run', async () => {
      const { scheduler, settings } = aScheduler();
      const load = settings.loadSettings.bind(settings);
      let release: () => void = () => {};
      const slowRead = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      // The second start's read (the operator's) is slower than the first's (the NOTIFY's).
      settings.loadSettings = async () => {
        if (++calls === 2) await slowRead;
        return load();
      };
      const first = scheduler.start();
      const second = scheduler.start();
      let firstDone = false;
      void first.then(() => (firstDone = true));
      await settle();
      expect(firstDone).toBe(false);
      release();
      await first;
      expect(scheduler.isRunning()).toBe(true);
      await second;
    });

    it('wins over a start still loading its intervals', async () => {
      const { scheduler, clock } = aScheduler();
      const starting = scheduler.start();
      scheduler.stop();
      await starting;
      expect(scheduler.isRunning()).toBe(false);
      expect(clock.pendingTimers()).toBe(0);
    });
  });

  describe('a tick', () => {
    it('enqueues one job per agent for an agent type, in one batch', async () => {
      const { scheduler, clock, queue } = aScheduler({ agents: ['a-1', 'a-2', 'a-3'] });
      await scheduler.start();
      await advance(clock, 10 * MINUTE);
      expect(queue.batches).toHaveLength(1);
      expect(queue.batches[0]).toEqual(
        ['a-1', 'a-2', 'a-3'].map((userId) => ({
          type: 'orders',
          userId,
          timestamp: clock.now(),
          delayMs: spreadDelayMs('orders', userId, 10),
        })),
      );
    });

    it('enqueues exactly one service-account job for a shared type, even with no agents', async () => {
      const { scheduler, clock, queue, agents } = aScheduler({ agents: [] });
      await scheduler.start();
      await advance(clock, 30 * MINUTE);
      const products = queue.batches.filter((b) => b[0]?.type === 'products');
      expect(products).toEqual([
        [{ type: 'products', userId: 'service-account', timestamp: clock.now() }],
      ]);
      expect(agents.calls).toBeGreaterThan(0);
    });

    it('enqueues nothing for an agent type when there are no agents', async () => {
      const { scheduler, clock, queue, observer } = aScheduler({ agents: [] });
      await scheduler.start();
      await advance(clock, 10 * MINUTE);
      expect(queue.batches).toHaveLength(0);
      expect(observer.completed).toEqual([
        { type: 'orders', agents: 0, added: 0, deduplicated: 0, fenced: 0, durationMs: 0 },
      ]);
    });

    it('counts jobs that are still pending as deduplicated', async () => {
      const { scheduler, clock, observer, queue } = aScheduler();
      await scheduler.start();
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
      const { scheduler, clock, queue, agents, observer } = aScheduler();
      await scheduler.start();
      agents.failWith(new Error('ECONNREFUSED'));
      await advance(clock, 10 * MINUTE);
      expect(observer.failed).toMatchObject([{ type: 'orders', stage: 'agentLookup' }]);
      agents.failWith(null);
      await advance(clock, 10 * MINUTE);
      expect(queue.pendingJobs().filter((j) => j.type === 'orders')).toHaveLength(3);
      expect(scheduler.isRunning()).toBe(true);
    });

    it('survives a failing enqueue, reports it, and the next tick enqueues again', async () => {
      const { scheduler, clock, queue, observer } = aScheduler();
      await scheduler.start();
      queue.failWith(new Error('Redis connection lost'));
      await advance(clock, 10 * MINUTE);
      expect(observer.failed).toMatchObject([{ type: 'orders', stage: 'enqueue' }]);
      queue.failWith(null);
      await advance(clock, 10 * MINUTE);
      expect(observer.completed.filter((r) => r.type === 'orders')).toMatchObject([{ added: 3 }]);
    });

    it('does nothing but report a skip while the previous tick of its type is in flight', async () => {
      const { scheduler, clock, agents, observer } = aScheduler();
      let release: (ids: string[]) => void = () => {};
      agents.listActiveAgentIds = () => new Promise((resolve) => (release = resolve));
      await scheduler.start({
        orders: 5,
        customers: 1440,
        ddt: 1440,
        invoices: 1440,
        products: 1440,
        prices: 1440,
      });
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
      const { scheduler, clock, queue, observer } = aScheduler();
      observer.tickCompleted = () => {
        throw new Error('observer bug');
      };
      await scheduler.start();
      await advance(clock, 20 * MINUTE);
      expect(queue.batches.filter((b) => b[0]?.type === 'orders')).toHaveLength(2);
    });

    it('lets drain() wait for a tick in flight', async () => {
      const { scheduler, clock, agents, observer } = aScheduler();
      let release: (ids: string[]) => void = () => {};
      agents.listActiveAgentIds = () => new Promise((resolve) => (release = resolve));
      await scheduler.start();
      clock.advance(10 * MINUTE);
      scheduler.stop();
      const drained = scheduler.drain();
      release(['a-1']);
      await drained;
      expect(observer.completed).toMatchObject([{ type: 'orders', added: 1 }]);
    });
  });

  describe('updateInterval', () => {
    it('persists the value and applies it from the next cycle', async () => {
      const { scheduler, clock, settings, queue } = aScheduler();
      await scheduler.start();
      await advance(clock, 10 * MINUTE); // orders ran at 10
      await scheduler.updateInterval('orders', 5); // at 10: next due at 15
      expect((await settings.loadIntervals()).orders).toBe(5);
      expect(scheduler.getDetailedIntervals().orders).toBe(5);
      expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 5 * MINUTE);
      await advance(clock, 5 * MINUTE);
      expect(queue.batches.filter((b) => b[0]?.type === 'orders')).toHaveLength(2);
    });

    it("restarts only that type's timer, leaking none", async () => {
      const { scheduler, clock } = aScheduler();
      await scheduler.start();
      await advance(clock, 4 * MINUTE);
      const before = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
      await scheduler.updateInterval('ddt', 30);
      await scheduler.updateInterval('ddt', 25);
      const after = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
      expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
      SYNC_TYPES.forEach((type, i) => {
        if (type !== 'ddt') expect(after[i]).toBe(before[i]);
      });
      // One new interval after its last run (at start), not after the change.
      expect(scheduler.scheduleOf('ddt').nextRunAt).toBe(clock.now() - 4 * MINUTE + 25 * MINUTE);
    });

    it('changes nothing and reports "unavailable" when the store fails', async () => {
      const { scheduler, clock, settings, queue } = aScheduler();
      await scheduler.start();
      settings.failWith(new Error('connection terminated'));
      const error = await scheduler.updateInterval('orders', 5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchedulerError);
      expect(error).toMatchObject({ kind: 'unavailable' });
      expect(scheduler.getDetailedIntervals().orders).toBe(10);
      await advance(clock, 5 * MINUTE);
      expect(queue.batches).toHaveLength(0);
      await advance(clock, 5 * MINUTE);
      expect(queue.batches.map(typesOf)).toEqual([['orders']]);
    });

    it.each([
      [4, 'must be between 5 and 1440 minutes'],
      [1441, 'must be between 5 and 1440 minutes'],
      [7.5, 'must be a whole number of minutes'],
      ['10', 'must be a number'],
      [null, 'must be a number'],
      [undefined, 'must be a number'],
      [Number.NaN, 'must be a number'],
    ])(
      'refuses %s with a clear reason and touches neither store nor timers',
      async (value, reason) => {
        const { scheduler, settings, clock } = aScheduler();
        await scheduler.start();
        const saved = await settings.loadIntervals();
        const error = await scheduler.updateInterval('orders', value).catch((e: unknown) => e);
        expect(error).toMatchObject({
          kind: 'invalidInput',
          details: [{ field: 'intervalMinutes', reason }],
        });
        expect(await settings.loadIntervals()).toEqual(saved);
        expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 10 * MINUTE);
      },
    );

    it('accepts the bounds 5 and 1440', async () => {
      const { scheduler } = aScheduler();
      await expect(scheduler.updateInterval('orders', 5)).resolves.toBe(5);
      await expect(scheduler.updateInterval('orders', 1440)).resolves.toBe(1440);
    });

    it('only stores the value while stopped, creating no timer', async () => {
      const { scheduler, clock, settings } = aScheduler();
      await scheduler.updateInterval('prices', 90);
      expect(clock.pendingTimers()).toBe(0);
      expect((await settings.loadIntervals()).prices).toBe(90);
      await scheduler.start();
      expect(scheduler.getDetailedIntervals().prices).toBe(90);
    });
  });

  describe('getIntervals', () => {
    it('reports milliseconds, while getDetailedIntervals reports minutes', async () => {
      const { scheduler } = aScheduler();
      await scheduler.start();
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
  });
});
