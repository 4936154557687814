import { describe, expect, it } from 'vitest';
import { SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import { advance, aScheduler, MINUTE } from '../../support/scheduler-fixture.js';

const ticksOf = (batches: { type: string }[][], type: SyncType) =>
  batches.filter((b) => b[0]?.type === type).length;

describe('Scheduler phase across restarts', () => {
  it('ticks a type that last ran 3 minutes ago 7 minutes after start, not 10 and not 0', async () => {
    const { scheduler, clock, queue, runLog } = aScheduler({ history: 'never' });
    await runLog.recordRun('orders', clock.now() - 3 * MINUTE);
    await scheduler.start();
    expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 7 * MINUTE);
    await advance(clock, 7 * MINUTE - 1);
    expect(ticksOf(queue.batches, 'orders')).toBe(0);
    await advance(clock, 1);
    expect(ticksOf(queue.batches, 'orders')).toBe(1);
  });

  it('ticks a never-run type at once, then every interval', async () => {
    const { scheduler, clock, queue } = aScheduler({ history: 'never' });
    await scheduler.start();
    await advance(clock, 0);
    expect(queue.batches.map((b) => b[0]?.type).sort()).toEqual([...SYNC_TYPES].sort());
    await advance(clock, 10 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(2);
  });

  it('ticks an overdue type at once', async () => {
    const { scheduler, clock, queue, runLog } = aScheduler();
    await runLog.recordRun('prices', clock.now() - 3 * 60 * MINUTE);
    await scheduler.start();
    await advance(clock, 0);
    expect(queue.batches.map((b) => b[0]?.type)).toEqual(['prices']);
  });

  it('records every tick in the run log', async () => {
    const { scheduler, clock, runLog } = aScheduler();
    await scheduler.start();
    await advance(clock, 10 * MINUTE);
    expect((await runLog.loadLastRuns()).orders).toBe(clock.now());
  });

  it('keeps ticking when the run log cannot be written', async () => {
    const { scheduler, clock, queue, runLog } = aScheduler();
    await scheduler.start();
    runLog.recordRun = () => Promise.reject(new Error('db down'));
    await advance(clock, 20 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(2);
  });
});

describe('Scheduler leadership', () => {
  it('keeps no timer while it does not lead', async () => {
    const { scheduler, clock, queue } = aScheduler();
    await scheduler.setLeader(false);
    await scheduler.start();
    expect(scheduler.isRunning()).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    await advance(clock, 60 * MINUTE);
    expect(queue.batches).toHaveLength(0);
  });

  it('clears every timer at once when leadership is lost', async () => {
    const { scheduler, clock } = aScheduler();
    await scheduler.start();
    await scheduler.setLeader(false);
    expect(clock.pendingTimers()).toBe(0);
    expect(SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt)).toEqual(
      SYNC_TYPES.map(() => null),
    );
  });

  it('takes over the phase recorded by the previous leader', async () => {
    const { scheduler, clock, runLog, queue } = aScheduler({ history: 'never' });
    await scheduler.setLeader(false);
    await scheduler.start();
    await advance(clock, 4 * MINUTE);
    for (const type of SYNC_TYPES) await runLog.recordRun(type, clock.now() - MINUTE);
    await scheduler.setLeader(true);
    expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 9 * MINUTE);
    await advance(clock, 9 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(1);
  });
});

describe('Scheduler pause and resume', () => {
  it('stops only the paused type, persisted first', async () => {
    const { scheduler, clock, queue, settings } = aScheduler();
    await scheduler.start();
    await scheduler.setEnabled('orders', false);
    expect((await settings.loadSettings()).types.orders.enabled).toBe(false);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length - 1);
    await advance(clock, 30 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(0);
    expect(ticksOf(queue.batches, 'customers')).toBe(2);
    expect(scheduler.scheduleOf('orders')).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it('resumes on the recorded phase', async () => {
    const { scheduler, clock, queue } = aScheduler();
    await scheduler.start();
    await scheduler.setEnabled('orders', false);
    await advance(clock, 25 * MINUTE);
    await scheduler.setEnabled('orders', true);
    await advance(clock, 0);
    expect(ticksOf(queue.batches, 'orders')).toBe(1);
  });

  it('changes nothing and reports "unavailable" when the store fails', async () => {
    const { scheduler, clock, settings } = aScheduler();
    await scheduler.start();
    settings.failWith(new Error('down'));
    await expect(scheduler.setEnabled('orders', false)).rejects.toMatchObject({
      kind: 'unavailable',
    });
    expect(scheduler.getEnabled().orders).toBe(true);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
  });

  it('starts with the paused flags saved in the store', async () => {
    const { scheduler, clock, settings } = aScheduler();
    await settings.saveEnabled('ddt', false);
    await scheduler.start();
    expect(scheduler.getEnabled().ddt).toBe(false);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length - 1);
  });
});

describe('Scheduler.applySettings', () => {
  it('reschedules only the type whose interval changed elsewhere', async () => {
    const { scheduler, clock, settings } = aScheduler();
    await scheduler.start();
    await advance(clock, 2 * MINUTE);
    const before = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
    await settings.saveInterval('invoices', 30);
    await scheduler.applySettings(await settings.loadSettings());
    SYNC_TYPES.forEach((type, i) => {
      const next = scheduler.scheduleOf(type).nextRunAt;
      if (type === 'invoices') expect(next).toBe(clock.now() - 2 * MINUTE + 30 * MINUTE);
      else expect(next).toBe(before[i]);
    });
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
  });

  it('follows a stop and a start made through another replica', async () => {
    const { scheduler, clock, settings } = aScheduler();
    await scheduler.start();
    await settings.saveRunning(false);
    await scheduler.applySettings(await settings.loadSettings());
    expect(scheduler.isRunning()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    await settings.saveRunning(true);
    await scheduler.applySettings(await settings.loadSettings());
    expect(scheduler.isRunning()).toBe(true);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
  });

  it('does nothing when nothing changed', async () => {
    const { scheduler, clock, settings } = aScheduler();
    await scheduler.start();
    const before = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
    await advance(clock, MINUTE);
    await scheduler.applySettings(await settings.loadSettings());
    expect(SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt)).toEqual(before);
  });
});
