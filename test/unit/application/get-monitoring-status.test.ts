import { describe, expect, it } from 'vitest';
import { InMemorySyncHistory } from '../../../src/adapters/memory/in-memory-sync-history.js';
import { GetMonitoringStatus } from '../../../src/application/get-monitoring-status.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import type { SyncEvent } from '../../../src/domain/ports/sync-history.js';
import { SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import {
  advance,
  aScheduler,
  MINUTE,
  settle,
  type SchedulerFixtureOptions,
} from '../../support/scheduler-fixture.js';

/** Agents as the registry lists them, activity unknown. */
const asAgents = (ids: readonly string[]) => ids.map((id) => ({ id, lastActivityAt: null }));

/** The ManualClock's start. */
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const at = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();

function anEvent(type: SyncType, minutes: number, success = true): SyncEvent {
  return {
    jobId: `${type}-${minutes}`,
    type,
    userId: 'a-1',
    success,
    finishedAt: T0 + minutes * MINUTE,
    durationMs: 2000,
    error: success ? null : 'ERP timeout',
  };
}

/** The use case on in-memory adapters; this replica leads from `start()` unless told otherwise. */
function build(options: SchedulerFixtureOptions = {}) {
  const parts = aScheduler({ agents: ['a-1', 'a-2'], ...options });
  const { scheduler, queue, runLog, clock, leadership } = parts;
  const history = new InMemorySyncHistory({ now: () => clock.now() });
  const useCase = new GetMonitoringStatus(scheduler, queue, runLog, history, leadership, clock);
  const record = async (...events: SyncEvent[]) => {
    for (const event of events) await history.record(event);
  };
  return { ...parts, history, useCase, record };
}

describe('GetMonitoringStatus', () => {
  describe('schedule', () => {
    it("reads last runs from the shared run log, not from this replica's memory", async () => {
      const { useCase, runLog, scheduler } = build({ history: 'never' });
      await runLog.recordRun('orders', T0 - 3 * MINUTE);
      expect(scheduler.scheduleOf('orders').lastRunAt).toBeNull();
      const { types } = await useCase.execute();
      expect(types.orders.lastRunTime).toBe(at(-3));
      expect(types.customers.lastRunTime).toBeNull();
    });

    it('puts the next run one interval after the last, now when overdue or never run', async () => {
      const { useCase, runLog, start } = build({ history: 'never' });
      await runLog.recordRun('orders', T0 - 3 * MINUTE);
      await runLog.recordRun('prices', T0 - 3 * 60 * MINUTE);
      await start();
      const { types } = await useCase.execute();
      expect(types.orders.nextRunTime).toBe(at(7));
      expect(types.prices.nextRunTime).toBe(at(0));
      expect(types.ddt.nextRunTime).toBe(at(0));
    });

    it('agrees with the leader’s own timer', async () => {
      const { useCase, scheduler, clock, start } = build();
      await start();
      await advance(clock, 12 * MINUTE);
      const { types } = await useCase.execute();
      for (const type of SYNC_TYPES) {
        const { nextRunAt } = scheduler.scheduleOf(type);
        expect(types[type].nextRunTime).toBe(new Date(nextRunAt ?? 0).toISOString());
      }
    });

    it('has no next run while auto-sync is stopped, nor for a paused type', async () => {
      const { useCase, start, setEnabled } = build();
      expect((await useCase.execute()).types.orders.nextRunTime).toBeNull();
      await start();
      await setEnabled('orders', false);
      const { types } = await useCase.execute();
      expect(types.orders.nextRunTime).toBeNull();
      expect(types.customers.nextRunTime).toBe(at(15));
    });

    it('reports running, intervals and enabled flags, per type and for the scheduler', async () => {
      const { useCase, start, setEnabled, setInterval } = build();
      await start();
      await setInterval('ddt', 45);
      await setEnabled('prices', false);
      const status = await useCase.execute();
      const enabled = { ...Object.fromEntries(SYNC_TYPES.map((t) => [t, true])), prices: false };
      expect(status.scheduler).toEqual({
        running: true,
        intervals: { ...DEFAULT_INTERVALS, ddt: 45 },
        enabled,
      });
      expect(status.types.ddt).toMatchObject({ intervalMinutes: 45, enabled: true });
      expect(status.types.prices).toMatchObject({ intervalMinutes: 60, enabled: false });
    });
  });

  describe('what runs now', () => {
    it('marks a type running while its tick is in flight on this replica', async () => {
      const { useCase, clock, agents, start } = build({ history: 'never' });
      const pending: ((ids: string[]) => void)[] = [];
      agents.listAgents = () =>
        new Promise((resolve) => pending.push((ids) => resolve(asAgents(ids))));
      await start();
      clock.advance(0);
      const during = await useCase.execute();
      expect(during.types.orders.isRunning).toBe(true);
      expect(during.currentSync).toBe('orders');
      for (const release of pending) release(['a-1']);
      await settle();
      const after = await useCase.execute();
      expect(after.types.orders.isRunning).toBe(false);
    });

    it('marks a type running while a worker processes one of its jobs', async () => {
      const { useCase, queue } = build();
      await queue.enqueue([{ type: 'prices', userId: 'service-account', timestamp: T0 }]);
      queue.start('prices', 'service-account');
      const status = await useCase.execute();
      expect(status.types.prices.isRunning).toBe(true);
      expect(status.activeJobs).toEqual([
        { userId: 'service-account', jobId: expect.any(String), type: 'prices' },
      ]);
      expect(status.queue.active).toBe(1);
    });

    it('names the first running type in sync-type order as currentSync', async () => {
      const { useCase, queue } = build();
      await queue.enqueue([
        { type: 'prices', userId: 'service-account', timestamp: T0 },
        { type: 'customers', userId: 'a-1', timestamp: T0 },
      ]);
      queue.start('prices', 'service-account');
      queue.start('customers', 'a-1');
      expect((await useCase.execute()).currentSync).toBe('customers');
    });

    it('has no currentSync when nothing runs', async () => {
      const { useCase } = build();
      expect((await useCase.execute()).currentSync).toBeNull();
    });
  });

  describe('health', () => {
    it('is healthy, degraded, stale, idle or paused per type', async () => {
      const { useCase, leadership, clock, record, start, setEnabled, stop } = build();
      leadership.setLeader(false); // no ticks here: the run log stays at T0
      await start();
      await setEnabled('invoices', false);
      await advance(clock, 25 * MINUTE);
      await record(anEvent('customers', 20, false));
      const { types } = await useCase.execute();
      expect(types.orders.health).toBe('stale'); // 25 > 2 × 10
      expect(types.customers.health).toBe('degraded');
      expect(types.ddt.health).toBe('healthy');
      expect(types.invoices.health).toBe('paused');
      await stop();
      expect((await useCase.execute()).types.ddt.health).toBe('idle');
    });

    it('is idle for a type that never ran', async () => {
      const { useCase, start } = build({ history: 'never' });
      await start();
      expect((await useCase.execute()).types.orders.health).toBe('idle');
    });

    it('judges on the newest outcomes even when the limit shows fewer', async () => {
      const { useCase, record, start } = build();
      await start();
      await record(anEvent('orders', 1, false), anEvent('orders', 2), anEvent('orders', 3));
      const { types } = await useCase.execute({ historyLimit: 1 });
      expect(types.orders.history).toHaveLength(1);
      expect(types.orders.health).toBe('degraded');
    });
  });

  describe('history', () => {
    it('maps outcomes newest first, at most historyLimit per type', async () => {
      const { useCase, record } = build();
      await record(anEvent('orders', 1), anEvent('orders', 2, false), anEvent('orders', 3));
      const { types } = await useCase.execute({ historyLimit: 2 });
      expect(types.orders.history).toEqual([
        { timestamp: at(3), duration: 2000, success: true, class: 'completed', error: null },
        {
          timestamp: at(2),
          duration: 2000,
          success: false,
          class: 'failed',
          error: 'ERP timeout',
        },
      ]);
      expect(types.customers.history).toEqual([]);
    });

    it("lists the ticks' decisions newest first, at most historyLimit per type", async () => {
      const { useCase, history } = build();
      await history.recordDecisions([
        { type: 'orders', at: T0 + MINUTE, class: 'deduplicated', count: 9_998 },
        { type: 'orders', at: T0 + MINUTE, class: 'skipped_breaker', count: 2 },
      ]);
      await history.recordDecisions([
        { type: 'orders', at: T0 + 2 * MINUTE, class: 'deduplicated', count: 5 },
      ]);
      const { types } = await useCase.execute({ historyLimit: 2 });
      expect(types.orders.decisions).toEqual([
        { timestamp: at(2), class: 'deduplicated', count: 5 },
        { timestamp: at(1), class: 'skipped_breaker', count: 2 },
      ]);
      expect(types.customers.decisions).toEqual([]);
    });

    it('judges health on job outcomes only: decisions neither heal nor degrade a type', async () => {
      const { useCase, record, history, clock, start } = build();
      await start();
      await record(anEvent('orders', 0, false), anEvent('customers', 0));
      const later = clock.now() + MINUTE;
      await history.recordDecisions(
        (['orders', 'customers'] as const).flatMap((type) => [
          { type, at: later, class: 'deduplicated' as const, count: 100 },
          { type, at: later, class: 'skipped_breaker' as const, count: 3 },
        ]),
      );
      const { types } = await useCase.execute();
      expect(types.orders.health).toBe('degraded');
      expect(types.customers.health).toBe('healthy');
    });

    it('shows 10 per type by default and up to 100', async () => {
      const { useCase, record } = build();
      await record(...Array.from({ length: 120 }, (_, i) => anEvent('ddt', i)));
      expect((await useCase.execute()).types.ddt.history).toHaveLength(10);
      const all = (await useCase.execute({ historyLimit: 100 })).types.ddt.history;
      expect(all).toHaveLength(100);
      expect(all[0]?.timestamp).toBe(at(119));
    });

    it.each([0, 101, 2.5, -1, Number.NaN])('refuses historyLimit %s', async (historyLimit) => {
      const { useCase } = build();
      await expect(useCase.execute({ historyLimit })).rejects.toMatchObject({
        kind: 'invalidInput',
        details: [{ field: 'historyLimit', reason: 'must be a whole number between 1 and 100' }],
      });
    });
  });

  describe('leadership', () => {
    it('reports this replica and whether it leads', async () => {
      const { useCase, leadership, start } = build();
      await start();
      expect((await useCase.execute()).leader).toEqual({
        replicaId: 'in-memory-replica',
        isLeader: true,
      });
      leadership.setLeader(false);
      expect((await useCase.execute()).leader).toEqual({
        replicaId: 'in-memory-replica',
        isLeader: false,
      });
    });
  });

  describe('unreachable sources', () => {
    it.each([
      ['queue', 'The queue status could not be read: the queue is unreachable.'],
      ['runLog', 'The last run times could not be read: the run log is unreachable.'],
      ['history', 'The sync history could not be read: the sync history is unreachable.'],
    ] as const)('reports unavailable naming the %s', async (source, message) => {
      const parts = build();
      const cause = new Error('ECONNREFUSED');
      parts[source].failWith(cause);
      await expect(parts.useCase.execute()).rejects.toMatchObject({
        kind: 'unavailable',
        message,
        cause,
      });
    });

    it('lets a bug in a source surface as itself, not as an outage', async () => {
      const { useCase, history } = build();
      const bug = new TypeError('history row without a type');
      history.failWith(bug);
      await expect(useCase.execute()).rejects.toBe(bug);
    });

    it('names the queue first when several sources are down', async () => {
      const { useCase, queue, runLog, history } = build();
      history.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      runLog.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      queue.failWith(new Error('Connection is closed.'));
      await expect(useCase.execute()).rejects.toMatchObject({
        message: 'The queue status could not be read: the queue is unreachable.',
      });
    });
  });
});
