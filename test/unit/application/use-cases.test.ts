import { describe, expect, it } from 'vitest';
import { GetAutoSyncStatus } from '../../../src/application/get-auto-sync-status.js';
import { GetIntervals } from '../../../src/application/get-intervals.js';
import { StartAutoSync } from '../../../src/application/start-auto-sync.js';
import { StopAutoSync } from '../../../src/application/stop-auto-sync.js';
import { TriggerSync } from '../../../src/application/trigger-sync.js';
import { UpdateInterval } from '../../../src/application/update-interval.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import { aScheduler } from '../../support/scheduler-fixture.js';

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
  });
});

describe('GetIntervals', () => {
  it('returns the minutes in force', async () => {
    const { scheduler } = aScheduler();
    await scheduler.start();
    expect(await new GetIntervals(scheduler).execute()).toEqual(DEFAULT_INTERVALS);
  });
});

describe('UpdateInterval', () => {
  it('accepts the sync-<type> spelling and returns what was applied', async () => {
    const { scheduler } = aScheduler();
    const result = await new UpdateInterval(scheduler).execute({
      type: 'sync-invoices',
      intervalMinutes: 25,
    });
    expect(result).toEqual({ type: 'invoices', intervalMinutes: 25 });
  });

  it('refuses an unknown type before touching the store', async () => {
    const { scheduler, settings } = aScheduler();
    settings.failWith(new Error('must not be called'));
    await expect(
      new UpdateInterval(scheduler).execute({ type: 'widgets', intervalMinutes: 10 }),
    ).rejects.toMatchObject({ kind: 'invalidInput', details: [{ field: 'type' }] });
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
    });
    expect(await trigger.execute({ type: 'orders' })).toEqual({
      type: 'orders',
      enqueued: 0,
      deduplicated: 2,
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
    agents.failWith(new Error('db down'));
    await expect(trigger.execute({ type: 'orders' })).rejects.toMatchObject({
      kind: 'unavailable',
    });
    agents.failWith(null);
    queue.failWith(new Error('redis down'));
    await expect(trigger.execute({ type: 'prices' })).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });
});
