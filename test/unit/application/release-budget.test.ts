import { describe, expect, it } from 'vitest';
import { InMemoryAgentRegistry } from '../../../src/adapters/memory/in-memory-agent-registry.js';
import { InMemorySyncHistory } from '../../../src/adapters/memory/in-memory-sync-history.js';
import { ReleasePlan, releaseCapacity } from '../../../src/application/release-plan.js';
import { TriggerSync } from '../../../src/application/trigger-sync.js';
import type { Intervals } from '../../../src/domain/interval.js';
import { advance, aScheduler, MINUTE, settle } from '../../support/scheduler-fixture.js';

/** Only orders ticks within the first day: every other type waits 1440 minutes. */
const ORDERS_ONLY: Intervals = {
  orders: 10,
  customers: 1440,
  ddt: 1440,
  invoices: 1440,
  products: 1440,
  prices: 1440,
};

const agentIds = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `a-${String(i).padStart(3, '0')}`);

const pendingUsers = (queue: { pendingJobs(): { userId: string }[] }): string[] =>
  queue
    .pendingJobs()
    .map((job) => job.userId)
    .sort();

describe('releaseCapacity', () => {
  it('is the smaller room of the two limits, never negative', () => {
    expect(releaseCapacity({ maxInFlight: 50 }, 20, 999)).toBe(30);
    expect(releaseCapacity({ maxPerMinute: 100 }, 999, 40)).toBe(60);
    expect(releaseCapacity({ maxInFlight: 50, maxPerMinute: 100 }, 20, 90)).toBe(10);
    expect(releaseCapacity({ maxInFlight: 5 }, 9, 0)).toBe(0);
    expect(releaseCapacity({}, 1e9, 1e9)).toBe(Infinity);
  });
});

describe('ReleasePlan', () => {
  const job = (userId: string) => ({ type: 'orders' as const, userId, timestamp: 0 });

  it('plans a pair once however often it is offered', () => {
    const plan = new ReleasePlan();
    const offer = { at: 0, manual: false, lastSuccessOf: () => undefined };
    expect(plan.offer({ ...offer, jobs: [job('a'), job('b')] })).toEqual({
      planned: 2,
      alreadyWaiting: 0,
    });
    expect(plan.offer({ ...offer, jobs: [job('a'), job('c')] })).toEqual({
      planned: 1,
      alreadyWaiting: 1,
    });
    expect(plan.waiting('orders')).toBe(3);
  });

  it('gives the due pairs most stale first, never-succeeded before all, and holds the rest until their time', () => {
    const plan = new ReleasePlan();
    const last: Record<string, number> = { a: 300, b: 100, d: 200 };
    plan.offer({
      jobs: [job('a'), job('b'), job('c'), { ...job('d'), delayMs: 5_000 }],
      at: 1_000,
      manual: false,
      lastSuccessOf: (j) => last[j.userId],
    });
    expect(plan.due(1_000).map((e) => e.job.userId)).toEqual(['c', 'b', 'a']);
    expect(plan.due(6_000).map((e) => e.job.userId)).toEqual(['c', 'b', 'd', 'a']);
    // The plan holds the job back itself: it goes without a queue delay.
    expect(plan.due(6_000).every((e) => e.job.delayMs === undefined)).toBe(true);
  });

  it('drops the scheduled pairs of a paused type and keeps the manual ones', () => {
    const plan = new ReleasePlan();
    const base = { at: 0, lastSuccessOf: () => undefined };
    plan.offer({ ...base, manual: false, jobs: [job('a')] });
    plan.offer({ ...base, manual: true, jobs: [job('b')] });
    plan.dropScheduled('orders');
    expect(plan.due(0).map((e) => e.job.userId)).toEqual(['b']);
  });
});

describe('the release budget in ticks', () => {
  it('releases the most stale pairs first, up to ERP_MAX_IN_FLIGHT, and the rest as room frees', async () => {
    const agents = agentIds(10);
    const lastSuccesses = new Map(agents.map((id, i) => [id, 1_000_000 + i * 1000]));
    lastSuccesses.delete('a-007'); // never succeeded: the most stale of all
    const { clock, queue, start } = aScheduler({
      agents,
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 3 },
      lastSuccesses: { orders: lastSuccesses },
    });
    await start();
    await advance(clock, 10 * MINUTE);
    expect(pendingUsers(queue)).toEqual(['a-000', 'a-001', 'a-007']);

    queue.complete('orders', 'a-007');
    await advance(clock, 2_000); // one release pass
    expect(pendingUsers(queue)).toEqual(['a-000', 'a-001', 'a-002']);
  });

  it('counts each held pair once as deferred_budget and drops none: every pair goes within the cycle', async () => {
    const history = new InMemorySyncHistory();
    const { clock, queue, scheduler, start } = aScheduler({
      agents: agentIds(10),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 4 },
      syncHistory: history,
    });
    await start();
    await advance(clock, 10 * MINUTE);
    const sent = new Set<string>();
    for (let pass = 0; pass < 10; pass++) {
      for (const job of queue.pendingJobs()) {
        sent.add(job.userId);
        queue.complete(job.type, job.userId);
      }
      await advance(clock, 2_000);
    }
    expect([...sent].sort()).toEqual(agentIds(10));
    const deferred = (await history.recentDecisions(100)).orders.filter(
      (d) => d.class === 'deferred_budget',
    );
    expect(deferred.reduce((sum, d) => sum + d.count, 0)).toBe(6);
    expect(scheduler.budgetStatus()?.waiting.orders).toBe(0);
  });

  it('does not plan a pair twice when the next tick comes while it still waits', async () => {
    const { clock, queue, scheduler, observer, start } = aScheduler({
      agents: agentIds(20),
      intervals: ORDERS_ONLY,
      budget: { maxPerMinute: 1 },
    });
    await start();
    await advance(clock, 10 * MINUTE);
    expect(queue.pendingJobs()).toHaveLength(1);
    expect(scheduler.budgetStatus()?.waiting.orders).toBe(19);
    // A minute at a time, so that each minute's release pass runs (the manual clock fires
    // every timer of one advance before any of their promises settle).
    for (let minute = 0; minute < 10; minute++) await advance(clock, MINUTE);
    // The second tick offered all 20 again: the ~9 still waiting were not planned twice.
    const waiting = scheduler.budgetStatus()?.waiting.orders ?? 0;
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThanOrEqual(20);
    expect(observer.completed.at(-1)).toMatchObject({ type: 'orders', deferredBudget: waiting });
  });

  it('holds ERP_MAX_PER_MINUTE over a rolling minute, counted in the shared ledger', async () => {
    const { clock, queue, ledger, start } = aScheduler({
      agents: agentIds(12),
      intervals: ORDERS_ONLY,
      budget: { maxPerMinute: 5 },
    });
    await start();
    await advance(clock, 10 * MINUTE);
    expect(queue.pendingJobs()).toHaveLength(5);
    queue.completeAll();
    await advance(clock, 30_000);
    expect(queue.pendingJobs()).toHaveLength(0);
    await advance(clock, 32_000);
    expect(queue.pendingJobs()).toHaveLength(5);
    expect(await ledger.releasedWithin(MINUTE, clock.now())).toBe(5);
  });

  it('counts in flight from the queue itself, so a new leader honours jobs the old one released', async () => {
    const first = aScheduler({
      agents: agentIds(6),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 4 },
    });
    await first.start();
    await advance(first.clock, 10 * MINUTE);
    expect(first.queue.pendingJobs()).toHaveLength(4);
    first.scheduler.close();

    const second = aScheduler({
      agents: agentIds(6),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 4 },
      queue: first.queue,
      ledger: first.ledger,
      history: 'never',
    });
    await second.start();
    await advance(second.clock, 2_000);
    // The queue still holds the old leader's 4: the new one releases nothing more yet.
    expect(first.queue.pendingJobs()).toHaveLength(4);
  });

  it('spreads releases over the interval in interval mode, without queue delays', async () => {
    const { clock, queue, start } = aScheduler({
      agents: agentIds(100),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 1000 },
      spreadMode: 'interval',
    });
    await start();
    await advance(clock, 10 * MINUTE);
    const atTick = queue.pendingJobs().length;
    expect(atTick).toBeLessThan(10);
    await advance(clock, 5 * MINUTE);
    const half = queue.pendingJobs().length;
    expect(half).toBeGreaterThan(30);
    expect(half).toBeLessThan(70);
    expect(queue.pendingJobs().every((job) => (job.delayMs ?? 0) === 0)).toBe(true);
  });

  it('says when the budget cannot release a fleet within one interval, once per change', async () => {
    const { clock, observer, scheduler, start } = aScheduler({
      agents: agentIds(100),
      intervals: ORDERS_ONLY,
      budget: { maxPerMinute: 5 },
    });
    await start();
    await advance(clock, 10 * MINUTE);
    await advance(clock, 10 * MINUTE);
    const orders = observer.cycles.filter((c) => c.type === 'orders');
    // 100 agents every 10 minutes need 10 releases a minute; the budget gives 5.
    expect(orders[0]).toEqual({ type: 'orders', ratio: 2, changed: true });
    expect(orders[1]).toMatchObject({ changed: false });
    expect(orders[1]!.ratio).toBeGreaterThanOrEqual(2);
    expect(scheduler.budgetStatus()?.cycleRatio.orders).toBeGreaterThanOrEqual(2);
  });

  it('drops the waiting pairs of a paused type', async () => {
    const { clock, queue, scheduler, start, setEnabled } = aScheduler({
      agents: agentIds(10),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 2 },
    });
    await start();
    await advance(clock, 10 * MINUTE);
    expect(scheduler.budgetStatus()?.waiting.orders).toBe(8);
    await setEnabled('orders', false);
    queue.completeAll();
    await advance(clock, 2_000);
    expect(scheduler.budgetStatus()?.waiting.orders).toBe(0);
    expect(queue.pendingJobs()).toHaveLength(0);
  });

  it('stops releasing the moment the lease is gone: the rest is fenced, not sent', async () => {
    const { clock, queue, observer, leadership, start } = aScheduler({
      agents: agentIds(10),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 2 },
    });
    await start();
    await advance(clock, 10 * MINUTE);
    leadership.expireLease();
    queue.completeAll();
    await advance(clock, 2_000);
    expect(queue.pendingJobs()).toHaveLength(0);
    expect(observer.fenced.filter((f) => f.at === 'fire')).toHaveLength(0);
  });
});

describe('manual triggers under the budget', () => {
  it('hands a trigger for every agent to the leader, which releases it within the budget', async () => {
    const { clock, queue, ledger, start } = aScheduler({
      agents: agentIds(10),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 3 },
    });
    await start();
    const trigger = new TriggerSync(new InMemoryAgentRegistry(agentIds(10)), queue, clock, {
      budget: { ledger },
    });
    const result = await trigger.execute({ type: 'orders' });
    expect(result).toMatchObject({ enqueued: 0, deferredBudget: 10 });
    expect(queue.pendingJobs()).toHaveLength(0);
    await advance(clock, 2_000);
    expect(queue.pendingJobs()).toHaveLength(3);
  });

  it('sends a trigger for one agent at once', async () => {
    const { clock, queue, ledger, start } = aScheduler({
      agents: agentIds(3),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 1 },
    });
    await start();
    const trigger = new TriggerSync(new InMemoryAgentRegistry(agentIds(3)), queue, clock, {
      budget: { ledger },
    });
    const result = await trigger.execute({ type: 'orders', userId: 'a-001' });
    await settle();
    expect(result).toMatchObject({ enqueued: 1, deferredBudget: 0 });
    expect(pendingUsers(queue)).toEqual(['a-001']);
  });
});

describe('the release plan across handovers and working hours', () => {
  it('hands the manual pairs it holds back to the ledger when it steps down', async () => {
    const { clock, queue, ledger, leadership, start } = aScheduler({
      agents: agentIds(5),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 2 },
    });
    await start();
    const trigger = new TriggerSync(new InMemoryAgentRegistry(agentIds(5)), queue, clock, {
      budget: { ledger },
    });
    await trigger.execute({ type: 'orders' });
    await advance(clock, 2_000);
    expect(queue.pendingJobs()).toHaveLength(2);
    leadership.setLeader(false);
    await settle();
    // The three still waiting are in the shared ledger again, for the next leader.
    expect((await ledger.takeManual(10)).map((pair) => pair.userId).sort()).toEqual(
      agentIds(5).filter((id) => !pendingUsers(queue).includes(id)),
    );
  });

  it('holds scheduled pairs while their working hours are closed', async () => {
    const { clock, queue, scheduler, start, setWindow } = aScheduler({
      agents: agentIds(6),
      intervals: ORDERS_ONLY,
      budget: { maxInFlight: 2 },
      clockStart: Date.UTC(2026, 0, 5, 19, 45), // a Monday, 19:45 UTC
    });
    await start();
    const everyDay = [1, 2, 3, 4, 5, 6, 7];
    await setWindow('orders', { from: '07:00', to: '20:00', days: everyDay, timeZone: 'UTC' });
    await advance(clock, 10 * MINUTE); // 19:55: open, 2 go, 4 wait
    expect(queue.pendingJobs()).toHaveLength(2);
    await advance(clock, 6 * MINUTE); // 20:01: closed (the budget was full until now)
    queue.completeAll();
    for (let pass = 0; pass < 5; pass++) await advance(clock, 2_000);
    expect(queue.pendingJobs()).toHaveLength(0);
    expect(scheduler.budgetStatus()?.waiting.orders).toBe(4);
  });
});
