import { describe, expect, it } from 'vitest';
import { ClearWorkingWindow } from '../../../src/application/clear-working-window.js';
import { FollowDesiredState } from '../../../src/application/follow-desired-state.js';
import { GetAutoSyncStatus } from '../../../src/application/get-auto-sync-status.js';
import { GetIntervals } from '../../../src/application/get-intervals.js';
import { GetTypeSettings } from '../../../src/application/get-type-settings.js';
import type { SchedulingService } from '../../../src/application/scheduling-service.js';
import { SetSyncEnabled } from '../../../src/application/set-sync-enabled.js';
import { SetWorkingWindow } from '../../../src/application/set-working-window.js';
import { StartAutoSync } from '../../../src/application/start-auto-sync.js';
import { StopAutoSync } from '../../../src/application/stop-auto-sync.js';
import { TriggerSync } from '../../../src/application/trigger-sync.js';
import { UpdateInterval } from '../../../src/application/update-interval.js';
import { SchedulerError } from '../../../src/domain/errors.js';
import { defaultTypeSettings } from '../../../src/domain/desired-state.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import type { SettingsFeed } from '../../../src/domain/ports/settings-feed.js';
import type { SettingsStore } from '../../../src/domain/ports/settings-store.js';
import { SYNC_TYPES } from '../../../src/domain/sync-types.js';
import { advance, aScheduler, MINUTE, settle } from '../../support/scheduler-fixture.js';

const typesOf = (batch: { type: string }[]) => [...new Set(batch.map((j) => j.type))];

/** Counts the reads that reach the store. */
function countReads(settings: SettingsStore): { readonly count: number } {
  const load = settings.loadSettings.bind(settings);
  const reads = { count: 0 };
  settings.loadSettings = () => {
    reads.count++;
    return load();
  };
  return reads;
}

/** A feed whose notifications the test sends by hand, with a version or without. */
function aManualFeed() {
  const listeners = new Set<(version?: number) => void>();
  return {
    subscribe(listener: (version?: number) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    ready: async () => {},
    notify(version?: number) {
      for (const listener of listeners) listener(version);
    },
  } satisfies SettingsFeed & { notify(version?: number): void };
}

/** The store's own feed, deaf until `nowListening()`: a LISTEN that is not active yet. */
function aFeedNotYetListening(store: SettingsFeed) {
  let listening = false;
  let nowListening: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    nowListening = () => {
      listening = true;
      resolve();
    };
  });
  const feed: SettingsFeed = {
    subscribe: (listener) => store.subscribe((version) => listening && listener(version)),
    ready: () => ready,
  };
  return { feed, nowListening: () => nowListening() };
}

const RESYNC_MS = 60 * MINUTE;

describe('StartAutoSync and StopAutoSync', () => {
  it('start with the saved intervals, stop, and both are idempotent', async () => {
    const { scheduler, settings } = aScheduler();
    await settings.saveInterval('ddt', 45);
    const start = new StartAutoSync(scheduler, settings);
    const stop = new StopAutoSync(scheduler, settings);
    await start.execute();
    expect(await start.execute()).toEqual({
      running: true,
      intervals: { ...DEFAULT_INTERVALS, ddt: 45 },
    });
    expect(await stop.execute()).toEqual({ running: false });
    expect(await stop.execute()).toEqual({ running: false });
    expect(await new GetAutoSyncStatus(scheduler).execute()).toMatchObject({ running: false });
    expect((await settings.loadSettings()).running).toBe(false);
  });

  it('start answers running with the stored intervals without reading after its write', async () => {
    const { scheduler, settings } = aScheduler();
    await settings.saveInterval('ddt', 45);
    const reads = countReads(settings);
    const save = settings.saveRunning.bind(settings);
    settings.saveRunning = async (running) => {
      const stored = await save(running);
      settings.failUnreachable(); // the database goes away right after the commit
      return stored;
    };
    await expect(new StartAutoSync(scheduler, settings).execute()).resolves.toEqual({
      running: true,
      intervals: { ...DEFAULT_INTERVALS, ddt: 45 },
    });
    expect(reads.count).toBe(0);
    expect(scheduler.isRunning()).toBe(true);
    expect(scheduler.getDetailedIntervals().ddt).toBe(45);
  });

  it('start reports "unavailable" and stays stopped when the store cannot be reached', async () => {
    const { scheduler, settings, clock } = aScheduler();
    settings.failWith(new Error('connection refused'));
    await expect(new StartAutoSync(scheduler, settings).execute()).rejects.toMatchObject({
      kind: 'unavailable',
    });
    expect(scheduler.isRunning()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a stop is not undone by a reload whose read was taken before the stop committed', async () => {
    const { scheduler, settings, clock, queue, start } = aScheduler({ history: 'never' });
    await start(); // every type is due at once
    const follow = new FollowDesiredState(scheduler, settings, settings, clock, {
      resyncMs: RESYNC_MS,
      onError: (error) => {
        throw error;
      },
    });
    await settings.saveInterval('orders', 25); // another replica; not applied here yet
    settings.holdReads();
    const reloading = follow.reload(); // its snapshot (running) is taken now, answered later
    await new StopAutoSync(scheduler, settings).execute();
    settings.releaseReads();
    await reloading;
    expect(scheduler.isRunning()).toBe(false);
    expect(scheduler.getDetailedIntervals().orders).toBe(25);
    expect(clock.pendingTimers()).toBe(0);
    await advance(clock, 24 * 60 * MINUTE);
    expect(queue.batches).toHaveLength(0);
  });
});

describe('GetIntervals', () => {
  it('returns the minutes in force', async () => {
    const { scheduler, start } = aScheduler();
    await start();
    expect(await new GetIntervals(scheduler).execute()).toEqual(DEFAULT_INTERVALS);
  });

  it('answers unavailable, not the built-in defaults, before the stored settings were loaded', async () => {
    // RELIABILITY.md, finding 5: a replica booting without PostgreSQL reported DEFAULT_INTERVALS
    // as "in force" while the others ran the stored ones.
    const { scheduler } = aScheduler();
    const notYet = { kind: 'unavailable', message: expect.stringMatching(/not been loaded/) };
    await expect(new GetIntervals(scheduler).execute()).rejects.toMatchObject(notYet);
    await expect(new GetTypeSettings(scheduler).execute()).rejects.toMatchObject(notYet);
  });
});

describe('UpdateInterval', () => {
  const build = async () => {
    const parts = aScheduler();
    await parts.start();
    return { ...parts, update: new UpdateInterval(parts.scheduler, parts.settings) };
  };

  it('accepts the sync-<type> spelling and returns what was applied', async () => {
    const { scheduler, settings } = aScheduler();
    const result = await new UpdateInterval(scheduler, settings).execute({
      type: 'sync-invoices',
      intervalMinutes: 25,
    });
    expect(result).toEqual({
      type: 'invoices',
      intervalMinutes: 25,
      idleMultiplier: 4,
      offlineMultiplier: 0,
    });
  });

  it('stores the value for every replica, then applies the version it committed', async () => {
    const { scheduler, settings, clock, update } = await build();
    await update.execute({ type: 'orders', intervalMinutes: 5 });
    const stored = await settings.loadSettings();
    expect(stored.types.orders.intervalMinutes).toBe(5);
    expect(scheduler.version()).toBe(stored.version);
    expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 5 * MINUTE);
  });

  it('refuses an unknown type before touching the store', async () => {
    const { scheduler, settings } = aScheduler();
    settings.failWith(new Error('must not be called'));
    await expect(
      new UpdateInterval(scheduler, settings).execute({ type: 'widgets', intervalMinutes: 10 }),
    ).rejects.toMatchObject({ kind: 'invalidInput', details: [{ field: 'type' }] });
  });

  it.each([
    [4, 'must be between 5 and 1440 minutes'],
    [1441, 'must be between 5 and 1440 minutes'],
    [7.5, 'must be a whole number of minutes'],
    ['10', 'must be a number'],
    [null, 'must be a number'],
    [Number.NaN, 'must be a number'],
  ])(
    'refuses %s with a clear reason and touches neither store nor timers',
    async (value, reason) => {
      const { scheduler, settings, clock, update } = await build();
      const saved = await settings.loadSettings();
      const error = await update
        .execute({ type: 'orders', intervalMinutes: value })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        kind: 'invalidInput',
        details: [{ field: 'intervalMinutes', reason }],
      });
      expect(await settings.loadSettings()).toEqual(saved);
      expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 10 * MINUTE);
    },
  );

  it('accepts the bounds 5 and 1440', async () => {
    const { update } = await build();
    await expect(update.execute({ type: 'orders', intervalMinutes: 5 })).resolves.toMatchObject({
      type: 'orders',
      intervalMinutes: 5,
    });
    await expect(update.execute({ type: 'orders', intervalMinutes: 1440 })).resolves.toMatchObject({
      type: 'orders',
      intervalMinutes: 1440,
    });
  });

  it('refuses a command that sets nothing, before touching the store', async () => {
    const { settings, update } = await build();
    const saved = await settings.loadSettings();
    const error = await update
      .execute({ type: 'orders', intervalMinutes: undefined })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'invalidInput',
      details: [
        {
          field: 'body',
          reason: 'must set at least one of intervalMinutes, idleMultiplier, offlineMultiplier',
        },
      ],
    });
    expect(await settings.loadSettings()).toEqual(saved);
  });

  it('stores the multipliers with the interval as one version, keeping what is left out', async () => {
    const { scheduler, settings, clock, update } = await build();
    const before = scheduler.version();
    const result = await update.execute({
      type: 'ddt',
      intervalMinutes: 30,
      idleMultiplier: 6,
      offlineMultiplier: 48,
    });
    expect(result).toEqual({
      type: 'ddt',
      intervalMinutes: 30,
      idleMultiplier: 6,
      offlineMultiplier: 48,
    });
    expect(scheduler.version()).toBe(before + 1);
    expect(scheduler.settingsOf('ddt')).toMatchObject({ idleMultiplier: 6, offlineMultiplier: 48 });
    expect(scheduler.scheduleOf('ddt').nextRunAt).toBe(clock.now() + 30 * MINUTE);

    await update.execute({ type: 'ddt', offlineMultiplier: 0 });
    expect((await settings.loadSettings()).types.ddt).toMatchObject({
      intervalMinutes: 30,
      idleMultiplier: 6,
      offlineMultiplier: 0,
    });
  });

  it("changing only a multiplier keeps the type's timer as it was", async () => {
    const { scheduler, clock, update } = await build();
    await advance(clock, 3 * MINUTE);
    const next = scheduler.scheduleOf('orders').nextRunAt;
    await update.execute({ type: 'orders', idleMultiplier: 2 });
    expect(scheduler.settingsOf('orders').idleMultiplier).toBe(2);
    expect(scheduler.scheduleOf('orders').nextRunAt).toBe(next);
  });

  it.each([
    ['idleMultiplier', -1, 'must be between 0 and 100'],
    ['idleMultiplier', 101, 'must be between 0 and 100'],
    ['offlineMultiplier', 2.5, 'must be a whole number'],
    ['offlineMultiplier', '4', 'must be a number'],
    ['idleMultiplier', null, 'must be a number'],
  ])('refuses %s %j, storing none of the fields given', async (field, value, reason) => {
    const { settings, update } = await build();
    const saved = await settings.loadSettings();
    const error = await update
      .execute({ type: 'orders', intervalMinutes: 30, [field]: value })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'invalidInput', details: [{ field, reason }] });
    expect(await settings.loadSettings()).toEqual(saved);
  });

  it('accepts the multiplier bounds 0 and 100', async () => {
    const { update } = await build();
    await expect(
      update.execute({ type: 'prices', idleMultiplier: 0, offlineMultiplier: 100 }),
    ).resolves.toMatchObject({ idleMultiplier: 0, offlineMultiplier: 100 });
  });

  it('changes nothing and reports "unavailable" when the store is unreachable', async () => {
    const { scheduler, clock, settings, queue, update } = await build();
    settings.failWith(new Error('connection terminated'));
    const error = await update
      .execute({ type: 'orders', intervalMinutes: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchedulerError);
    expect(error).toMatchObject({ kind: 'unavailable' });
    expect(scheduler.getDetailedIntervals().orders).toBe(10);
    await advance(clock, 5 * MINUTE);
    expect(queue.batches).toHaveLength(0);
    await advance(clock, 5 * MINUTE);
    expect(queue.batches.map(typesOf)).toEqual([['orders']]);
  });
});

describe('SetSyncEnabled', () => {
  it('pauses one type for every replica and answers what was stored', async () => {
    const { scheduler, settings, clock, start } = aScheduler();
    await start();
    const result = await new SetSyncEnabled(scheduler, settings).execute({
      type: 'sync-orders',
      enabled: false,
    });
    expect(result).toEqual({ type: 'orders', enabled: false });
    expect((await settings.loadSettings()).types.orders.enabled).toBe(false);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length - 1);
  });

  it('changes nothing and reports "unavailable" when the store is unreachable', async () => {
    const { scheduler, clock, settings, start } = aScheduler();
    await start();
    settings.failWith(new Error('connection refused'));
    await expect(
      new SetSyncEnabled(scheduler, settings).execute({ type: 'orders', enabled: false }),
    ).rejects.toMatchObject({ kind: 'unavailable' });
    expect(scheduler.getEnabled().orders).toBe(true);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
  });
});

describe('SetWorkingWindow and ClearWorkingWindow', () => {
  const WINDOW = { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Rome' };

  it('sets a window for every replica, applies it, and answers from what was stored', async () => {
    const { scheduler, settings, start } = aScheduler();
    await start();
    const result = await new SetWorkingWindow(scheduler, settings).execute({
      type: 'sync-prices',
      window: WINDOW,
    });
    expect(result).toEqual({ type: 'prices', window: WINDOW });
    const stored = await settings.loadSettings();
    expect(stored.types.prices.window).toEqual(WINDOW);
    expect(scheduler.version()).toBe(stored.version);
    expect(scheduler.settingsOf('prices').window).toEqual(WINDOW);
  });

  it('clears it, idempotently', async () => {
    const { scheduler, settings, start } = aScheduler();
    await start();
    await new SetWorkingWindow(scheduler, settings).execute({ type: 'orders', window: WINDOW });
    const clear = new ClearWorkingWindow(scheduler, settings);
    for (let i = 0; i < 2; i++) {
      expect(await clear.execute({ type: 'orders' })).toEqual({ type: 'orders', window: null });
      expect(scheduler.settingsOf('orders').window).toBeNull();
    }
  });

  it('refuses an unknown type before touching the store', async () => {
    const { scheduler, settings } = aScheduler();
    settings.failWith(new Error('must not be called'));
    for (const run of [
      () => new SetWorkingWindow(scheduler, settings).execute({ type: 'x', window: WINDOW }),
      () => new ClearWorkingWindow(scheduler, settings).execute({ type: 'x' }),
    ]) {
      await expect(run()).rejects.toMatchObject({
        kind: 'invalidInput',
        details: [{ field: 'type' }],
      });
    }
  });

  it('lists every type through GetTypeSettings', async () => {
    const { scheduler, settings, start } = aScheduler();
    await start();
    await new SetWorkingWindow(scheduler, settings).execute({ type: 'ddt', window: WINDOW });
    const all = await new GetTypeSettings(scheduler).execute();
    expect(Object.keys(all)).toEqual([...SYNC_TYPES]);
    expect(all.ddt.window).toEqual(WINDOW);
    expect(all.orders).toEqual(defaultTypeSettings('orders'));
  });
});

describe('a command whose store fails', () => {
  const commands: [string, (scheduler: SchedulingService, store: SettingsStore) => unknown][] = [
    ['StartAutoSync', (scheduler, store) => new StartAutoSync(scheduler, store).execute()],
    ['StopAutoSync', (scheduler, store) => new StopAutoSync(scheduler, store).execute()],
    [
      'UpdateInterval',
      (scheduler, store) =>
        new UpdateInterval(scheduler, store).execute({ type: 'orders', intervalMinutes: 5 }),
    ],
    [
      'SetSyncEnabled',
      (scheduler, store) =>
        new SetSyncEnabled(scheduler, store).execute({ type: 'orders', enabled: false }),
    ],
    [
      'UpdateInterval (multipliers)',
      (scheduler, store) =>
        new UpdateInterval(scheduler, store).execute({ type: 'orders', idleMultiplier: 2 }),
    ],
    [
      'SetWorkingWindow',
      (scheduler, store) =>
        new SetWorkingWindow(scheduler, store).execute({
          type: 'orders',
          window: { from: '07:00', to: '20:00', days: [1], timeZone: 'UTC' },
        }),
    ],
    [
      'ClearWorkingWindow',
      (scheduler, store) => new ClearWorkingWindow(scheduler, store).execute({ type: 'orders' }),
    ],
  ];

  it.each(commands)('%s lets a bug surface as itself, not as "unavailable"', async (_, run) => {
    const { scheduler, settings } = aScheduler();
    const bug = new TypeError("Cannot read properties of undefined (reading 'rows')");
    settings.failWith(bug);
    const error = await Promise.resolve(run(scheduler, settings)).catch((e: unknown) => e);
    expect(error).toBe(bug);
    expect(scheduler.version()).toBe(0);
  });

  it.each(commands)('%s reports "unavailable" when the store is unreachable', async (_, run) => {
    const { scheduler, settings } = aScheduler();
    settings.failWith(new Error('connection refused'));
    const error = await Promise.resolve(run(scheduler, settings)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchedulerError);
    expect(error).toMatchObject({ kind: 'unavailable' });
    expect(scheduler.version()).toBe(0);
  });
});

describe('FollowDesiredState', () => {
  const follower = (
    scheduler: SchedulingService,
    settings: SettingsStore,
    feed: SettingsFeed,
    clock: ReturnType<typeof aScheduler>['clock'],
    errors: unknown[] = [],
  ) =>
    new FollowDesiredState(scheduler, settings, feed, clock, {
      resyncMs: RESYNC_MS,
      readyTimeoutMs: 5_000,
      onError: (error) => errors.push(error),
    });

  it('applies a change committed after it subscribed but before its first read', async () => {
    const { scheduler, settings, clock } = aScheduler();
    const { feed, nowListening } = aFeedNotYetListening(settings);
    const follow = follower(scheduler, settings, feed, clock);
    const following = follow.execute();
    await settings.saveInterval('orders', 25); // its notification is lost: nobody listens yet
    nowListening();
    await following;
    expect(scheduler.getDetailedIntervals().orders).toBe(25);
    expect(scheduler.version()).toBe((await settings.loadSettings()).version);
    follow.stop();
  });

  it('reads anyway, and says so, when the feed is not listening in time', async () => {
    const { scheduler, settings, clock } = aScheduler();
    const errors: unknown[] = [];
    const feed: SettingsFeed = { subscribe: () => () => {}, ready: () => new Promise(() => {}) };
    const follow = follower(scheduler, settings, feed, clock, errors);
    const following = follow.execute();
    await advance(clock, 5_000);
    await following;
    expect(scheduler.version()).toBe((await settings.loadSettings()).version);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/not listening after 5000 ms/);
    follow.stop();
  });

  it('does not reload for a notification whose version is already applied', async () => {
    const { scheduler, settings, clock } = aScheduler();
    const feed = aManualFeed();
    const reads = countReads(settings);
    const follow = follower(scheduler, settings, feed, clock);
    await follow.execute();
    expect(reads.count).toBe(1);

    await new UpdateInterval(scheduler, settings).execute({ type: 'orders', intervalMinutes: 5 });
    const applied = scheduler.version();
    feed.notify(applied); // the operator's own change, already applied by the use case
    feed.notify(applied - 1);
    await settle();
    expect(reads.count).toBe(1);

    await settings.saveEnabled('ddt', false); // another replica
    feed.notify(applied + 1);
    await settle();
    expect(reads.count).toBe(2);
    expect(scheduler.getEnabled().ddt).toBe(false);

    feed.notify(); // changes may have been missed: always worth a read
    await settle();
    expect(reads.count).toBe(3);
    follow.stop();
  });

  it('applies nothing from a reload still in flight when stopped', async () => {
    const { scheduler, settings, clock } = aScheduler();
    const errors: unknown[] = [];
    const follow = follower(scheduler, settings, settings, clock, errors);
    await follow.execute();
    const applied = scheduler.version();
    settings.holdReads();
    await settings.saveInterval('orders', 25); // notified: the reload's read is now held
    await settle();
    follow.stop();
    settings.releaseReads();
    await settle();
    expect(scheduler.version()).toBe(applied);
    expect(scheduler.getDetailedIntervals().orders).toBe(10);
    expect(errors).toEqual([]);
  });

  it('rejects and follows nothing when the first read fails', async () => {
    const { scheduler, settings, clock } = aScheduler();
    const feed = aManualFeed();
    const reads = countReads(settings);
    settings.failUnreachable();
    await expect(follower(scheduler, settings, feed, clock).execute()).rejects.toMatchObject({
      kind: 'unavailable',
    });
    settings.failUnreachable(false);
    feed.notify();
    await advance(clock, 2 * RESYNC_MS);
    expect(reads.count).toBe(1);
    expect(scheduler.version()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('TriggerSync', () => {
  const build = () => {
    const parts = aScheduler({ agents: ['a-1', 'a-2'] });
    return { ...parts, trigger: new TriggerSync(parts.agents, parts.queue, parts.clock) };
  };

  it('enqueues one job per agent now, reporting deduplicated ones', async () => {
    const { trigger, queue } = build();
    expect(await trigger.execute({ type: 'orders' })).toEqual({
      type: 'orders',
      enqueued: 2,
      deduplicated: 0,
      skippedBreaker: 0,
      bypassedBreaker: false,
      deferredBudget: 0,
    });
    expect(await trigger.execute({ type: 'orders' })).toEqual({
      type: 'orders',
      enqueued: 0,
      deduplicated: 2,
      skippedBreaker: 0,
      bypassedBreaker: false,
      deferredBudget: 0,
    });
    expect(queue.batches).toHaveLength(2);
  });

  it('enqueues for one whitelisted agent only', async () => {
    const { trigger, queue } = build();
    await trigger.execute({ type: 'customers', userId: 'a-2' });
    expect(queue.pendingJobs()).toMatchObject([{ type: 'customers', userId: 'a-2' }]);
  });

  it('refuses an agent that is not whitelisted with notFound', async () => {
    const { trigger } = build();
    await expect(trigger.execute({ type: 'orders', userId: 'ghost' })).rejects.toMatchObject({
      kind: 'notFound',
      message: 'Agent ghost is not a whitelisted agent.',
    });
  });

  it('enqueues the single service-account job for a shared type', async () => {
    const { trigger, queue } = build();
    expect(await trigger.execute({ type: 'prices' })).toMatchObject({ enqueued: 1 });
    expect(queue.pendingJobs()).toMatchObject([{ type: 'prices', userId: 'service-account' }]);
  });

  it('refuses a userId for a shared type', async () => {
    const { trigger } = build();
    await expect(trigger.execute({ type: 'products', userId: 'a-1' })).rejects.toMatchObject({
      kind: 'invalidInput',
      details: [{ field: 'userId' }],
    });
  });

  it('reports unavailable when the agent list or the queue cannot be reached', async () => {
    const { trigger, agents, queue } = build();
    agents.failWith(new Error('connect ECONNREFUSED 10.0.0.5:5432'));
    await expect(trigger.execute({ type: 'orders' })).rejects.toMatchObject({
      kind: 'unavailable',
    });
    agents.failWith(null);
    queue.failWith(new Error('Connection is closed.'));
    await expect(trigger.execute({ type: 'prices' })).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });

  it('lets a bug in the agent list surface as itself', async () => {
    const { trigger, agents } = build();
    const bug = new TypeError('agentIds.includes is not a function');
    agents.failWith(bug);
    await expect(trigger.execute({ type: 'orders' })).rejects.toBe(bug);
  });
});
