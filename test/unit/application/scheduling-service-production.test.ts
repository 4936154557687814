import { describe, expect, it } from 'vitest';
import { SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import { advance, aScheduler, MINUTE, settle } from '../../support/scheduler-fixture.js';

const ticksOf = (batches: { type: string }[][], type: SyncType) =>
  batches.filter((b) => b[0]?.type === type).length;

describe('SchedulingService phase across restarts', () => {
  it('ticks a type that last ran 3 minutes ago 7 minutes after start, not 10 and not 0', async () => {
    const { scheduler, clock, queue, runLog, start } = aScheduler({ history: 'never' });
    await runLog.recordRun('orders', clock.now() - 3 * MINUTE);
    await start();
    expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 7 * MINUTE);
    await advance(clock, 7 * MINUTE - 1);
    expect(ticksOf(queue.batches, 'orders')).toBe(0);
    await advance(clock, 1);
    expect(ticksOf(queue.batches, 'orders')).toBe(1);
  });

  it('ticks a never-run type at once, then every interval', async () => {
    const { clock, queue, start } = aScheduler({ history: 'never' });
    await start();
    await advance(clock, 0);
    expect(queue.batches.map((b) => b[0]?.type).sort()).toEqual([...SYNC_TYPES].sort());
    await advance(clock, 10 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(2);
  });

  it('ticks an overdue type at once', async () => {
    const { clock, queue, runLog, start } = aScheduler();
    await runLog.recordRun('prices', clock.now() - 3 * 60 * MINUTE);
    await start();
    await advance(clock, 0);
    expect(queue.batches.map((b) => b[0]?.type)).toEqual(['prices']);
  });

  it('records every tick in the run log', async () => {
    const { clock, runLog, start } = aScheduler();
    await start();
    await advance(clock, 10 * MINUTE);
    expect((await runLog.loadLastRuns()).orders).toBe(clock.now());
  });

  it('records the run before the jobs go, so a leader killed mid-enqueue leaves its phase behind', async () => {
    // RELIABILITY.md, finding 3: recorded only once the enqueue settled, a leader SIGKILLed
    // after its jobs reached Redis left the previous run, and its successor fired the type
    // again at once: every pair already done got a second job within one interval.
    const { clock, queue, runLog, start } = aScheduler();
    await start();
    const sent: number[] = [];
    queue.enqueue = () => {
      sent.push(clock.now());
      return new Promise(() => {}); // the process dies before the enqueue settles
    };
    await advance(clock, 10 * MINUTE);
    expect(sent).toEqual([clock.now()]);
    expect((await runLog.loadLastRuns()).orders).toBe(clock.now());
  });

  it('keeps ticking when the run log cannot be written', async () => {
    const { clock, queue, runLog, start } = aScheduler();
    await start();
    runLog.recordRun = () => Promise.reject(new Error('db down'));
    await advance(clock, 20 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(2);
  });

  it('keeps the phase it knows when the run log cannot be read at a gain', async () => {
    const { scheduler, clock, queue, runLog, leadership, start } = aScheduler();
    await start();
    await advance(clock, 10 * MINUTE); // orders ran at 10
    leadership.setLeader(false);
    runLog.failWith(new Error('connection refused'));
    leadership.setLeader(true);
    await settle();
    expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 10 * MINUTE);
    await advance(clock, 0);
    expect(ticksOf(queue.batches, 'orders')).toBe(1);
  });
});

describe('SchedulingService leadership', () => {
  it('starts as a follower: overdue types enqueue nothing until the election grants a lease', async () => {
    const { scheduler, clock, queue, leadership, start } = aScheduler({
      leader: false,
      history: 'never',
    });
    await start();
    expect(scheduler.isRunning()).toBe(true);
    expect(scheduler.isLeader()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    await advance(clock, 60 * MINUTE);
    expect(queue.batches).toHaveLength(0);

    leadership.setLeader(true);
    await settle();
    expect(scheduler.isLeader()).toBe(true);
    await advance(clock, 0);
    expect(queue.batches.map((b) => b[0]?.type).sort()).toEqual([...SYNC_TYPES].sort());
  });

  it('clears every timer at once when leadership is lost', async () => {
    const { scheduler, clock, leadership, start } = aScheduler();
    await start();
    leadership.setLeader(false);
    expect(scheduler.isLeader()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    expect(SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt)).toEqual(
      SYNC_TYPES.map(() => null),
    );
  });

  it('stays down when the loss comes while a gain is still loading the last runs', async () => {
    const { scheduler, clock, leadership, start } = aScheduler({ leader: false });
    await start();
    leadership.setLeader(true); // the gain now awaits the run log
    leadership.setLeader(false);
    await settle();
    expect(scheduler.isLeader()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('takes over the phase recorded by the previous leader', async () => {
    const { scheduler, clock, runLog, queue, leadership, start } = aScheduler({
      history: 'never',
      leader: false,
    });
    await start();
    await advance(clock, 4 * MINUTE);
    for (const type of SYNC_TYPES) await runLog.recordRun(type, clock.now() - MINUTE);
    leadership.setLeader(true);
    await settle();
    expect(scheduler.scheduleOf('orders').nextRunAt).toBe(clock.now() + 9 * MINUTE);
    await advance(clock, 9 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(1);
  });
});

describe('SchedulingService fencing', () => {
  it('sends nothing when the lease has passed by the time a timer fires', async () => {
    const { scheduler, clock, queue, observer, runLog, leadership, start } = aScheduler();
    await start();
    const lastRuns = await runLog.loadLastRuns();
    leadership.expireLease(); // frozen past the deadline: the election has not noticed yet
    await advance(clock, 10 * MINUTE);
    expect(queue.batches).toHaveLength(0);
    expect(queue.fencedBatches).toHaveLength(0);
    expect(observer.fenced).toEqual([{ type: 'orders', at: 'fire', jobs: 0 }]);
    expect(observer.completed).toHaveLength(0);
    expect(await runLog.loadLastRuns()).toEqual(lastRuns);
    expect(scheduler.isLeader()).toBe(false);
  });

  it('reports a batch the queue refused and does not send it again on the next tick', async () => {
    const { clock, queue, observer, leadership, runLog, start } = aScheduler();
    await start();
    // The lease key now holds another replica's token, while this lease is still valid here.
    leadership.holder = () => 'another-replica:7';
    await advance(clock, 10 * MINUTE);
    const firstTick = clock.now();
    // The run was recorded as the jobs went out (before the fence answered): the fence, not
    // the run log, stops a stale leader, and the successor's own runs are newer.
    expect((await runLog.loadLastRuns()).orders).toBe(firstTick);
    expect(observer.fenced).toEqual([{ type: 'orders', at: 'chunk', jobs: 3 }]);
    expect(observer.completed).toMatchObject([{ type: 'orders', added: 0, fenced: 3 }]);
    expect(queue.fencedBatches).toHaveLength(1);
    expect(queue.batches).toHaveLength(0);
    expect(queue.pendingJobs()).toEqual([]);

    await advance(clock, 10 * MINUTE);
    const orders = queue.fencedBatches.filter((b) => b[0]?.type === 'orders');
    // One batch per tick, each with only its own tick's jobs: the refused ones were dropped.
    expect(orders.map((b) => b.map((j) => j.timestamp))).toEqual([
      [firstTick, firstTick, firstTick],
      [clock.now(), clock.now(), clock.now()],
    ]);
    expect(queue.batches).toHaveLength(0);
    expect(queue.pendingJobs()).toEqual([]);
  });
});

describe('SchedulingService pause and resume', () => {
  it('stops only the paused type', async () => {
    const { scheduler, clock, queue, settings, start, setEnabled } = aScheduler();
    await start();
    await setEnabled('orders', false);
    expect((await settings.loadSettings()).types.orders.enabled).toBe(false);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length - 1);
    await advance(clock, 30 * MINUTE);
    expect(ticksOf(queue.batches, 'orders')).toBe(0);
    expect(ticksOf(queue.batches, 'customers')).toBe(2);
    expect(scheduler.scheduleOf('orders')).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it('resumes on the recorded phase', async () => {
    const { clock, queue, start, setEnabled } = aScheduler();
    await start();
    await setEnabled('orders', false);
    await advance(clock, 25 * MINUTE);
    await setEnabled('orders', true);
    await advance(clock, 0);
    expect(ticksOf(queue.batches, 'orders')).toBe(1);
  });

  it('starts with the paused flags saved in the store', async () => {
    const { scheduler, clock, settings, start } = aScheduler();
    await settings.saveEnabled('ddt', false);
    await start();
    expect(scheduler.getEnabled().ddt).toBe(false);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length - 1);
  });
});

describe('SchedulingService.apply of a state changed elsewhere', () => {
  it('reschedules only the type whose interval changed', async () => {
    const { scheduler, clock, settings, start } = aScheduler();
    await start();
    await advance(clock, 2 * MINUTE);
    const before = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
    await settings.saveInterval('invoices', 30);
    expect(scheduler.apply(await settings.loadSettings())).toBe(true);
    SYNC_TYPES.forEach((type, i) => {
      const next = scheduler.scheduleOf(type).nextRunAt;
      if (type === 'invoices') expect(next).toBe(clock.now() - 2 * MINUTE + 30 * MINUTE);
      else expect(next).toBe(before[i]);
    });
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
  });

  it('follows a stop and a start made through another replica', async () => {
    const { scheduler, clock, settings, start } = aScheduler();
    await start();
    await settings.saveRunning(false);
    scheduler.apply(await settings.loadSettings());
    expect(scheduler.isRunning()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    await settings.saveRunning(true);
    scheduler.apply(await settings.loadSettings());
    expect(scheduler.isRunning()).toBe(true);
    expect(clock.pendingTimers()).toBe(SYNC_TYPES.length);
  });

  it('moves no timer when a newer version changed nothing this replica schedules', async () => {
    const { scheduler, clock, settings, start } = aScheduler();
    await start();
    const before = SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt);
    await advance(clock, MINUTE);
    expect(scheduler.apply(await settings.loadSettings())).toBe(false);
    expect(scheduler.apply(await settings.saveRunning(true))).toBe(true);
    expect(SYNC_TYPES.map((t) => scheduler.scheduleOf(t).nextRunAt)).toEqual(before);
  });
});
