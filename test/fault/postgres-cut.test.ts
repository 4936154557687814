import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { metricSum, msUntil, report, sampleLeadership, sleep } from '../support/fault-harness.js';
import { agentIds, FaultFixture } from '../support/fault-fixture.js';
import { eventually } from '../support/service.js';

const TEN_MINUTES = 10 * 60_000;
const AGENTS = 3;
const CUT_MS = 8_000;

describe('fault: PostgreSQL cut mid-run', () => {
  let fixture: FaultFixture;
  let clock: ManualClock;
  afterEach(() => fixture?.cleanup());

  /** Booted, leading, every type ticked once, and a worker has taken the jobs. */
  const midRun = async () => {
    clock = new ManualClock(Date.now());
    fixture = await FaultFixture.create({ proxyPostgres: true, agents: AGENTS, clock });
    await fixture.startLeading();
    await clock.advanceAndSettle(0);
    await fixture.ticksSettled();
    expect(await fixture.pendingJobs()).toHaveLength(4 * AGENTS + 2);
    await fixture.queue.drain(true);
    return fixture;
  };

  it('keeps leading and ticking with the last known agents, answers POST /intervals with 503 and changes nothing, names postgres in /readyz, and works again once restored', async () => {
    const { service, http, pgProxy, db } = await midRun();
    const staleBefore = await metricSum(service, 'sync_scheduler_agent_lookups_total', {
      outcome: 'stale',
    });

    const cutFrom = fixture.logs.length;
    await pgProxy!.stop();
    const cutAt = performance.now();
    // Leadership lives in Redis: losing PostgreSQL must not make this replica step down.
    const sampler = sampleLeadership(() => service.leadership.isLeader());
    const readyz503Ms = await msUntil(
      async () => (await http.request('GET', '/readyz')).status === 503,
      5_000,
    );
    const readyz = await http.request('GET', '/readyz');
    expect(readyz.body).toMatchObject({
      success: false,
      error: 'Not ready: postgres unreachable.',
      checks: { postgres: 'unreachable', redis: 'ok' },
    });

    const post = await http.request('POST', '/api/sync/intervals/orders', { intervalMinutes: 30 });
    expect(post.status).toBe(503);
    expect(post.body).toEqual({
      success: false,
      error: expect.stringMatching(/could not be saved/),
    });
    expect(service.scheduler.getDetailedIntervals().orders).toBe(10);
    expect(service.scheduler.scheduleOf('orders').intervalMinutes).toBe(10);

    // Twenty simulated minutes: orders, customers, ddt and invoices all fall due, and each
    // reaches every agent of the last known list (the agent lookup fails, the cache serves).
    for (let step = 0; step < 2; step++) {
      await clock.advanceAndSettle(TEN_MINUTES);
      await fixture.ticksSettled();
    }
    const ticked = fixture.events('tick', cutFrom);
    const firstOf = (type: string) => ticked.find((l) => l.type === type);
    for (const type of ['orders', 'customers', 'ddt', 'invoices']) {
      expect(firstOf(type), type).toMatchObject({ agents: AGENTS, enqueued: AGENTS });
    }
    // Orders ticked twice; the second found the first one's jobs still pending.
    expect(ticked.filter((l) => l.type === 'orders').at(1)).toMatchObject({
      enqueued: 0,
      deduplicated: AGENTS,
    });
    expect(fixture.events('tick_failed', cutFrom)).toEqual([]);
    const orders = (await fixture.pendingJobs()).filter((j) => j.name === 'sync-orders');
    expect(orders.map((j) => j.data.userId).sort()).toEqual(agentIds(AGENTS));
    // A manual trigger reaches every agent too (deduplicated: the tick's jobs still wait).
    const trigger = await http.request('POST', '/api/sync/trigger/orders');
    expect(trigger.status).toBe(202);
    expect(trigger.body).toMatchObject({ enqueued: 0, deduplicated: AGENTS });
    const stale =
      (await metricSum(service, 'sync_scheduler_agent_lookups_total', { outcome: 'stale' })) -
      staleBefore;
    expect(stale).toBeGreaterThanOrEqual(1);

    await sleep(Math.max(0, CUT_MS - (performance.now() - cutAt)));
    const leadership = sampler.stop();
    const cutLastedMs = Math.round(performance.now() - cutAt);
    expect(leadership.notLeader).toBe(0);
    expect(fixture.events('leadership', cutFrom)).toEqual([]);
    // Nothing reached the database while it was away.
    const stored = async () => {
      const { rows } = await db.pool.query<{ interval_minutes: number }>(
        "select interval_minutes from system.sync_settings where sync_type = 'orders'",
      );
      return rows[0]?.interval_minutes;
    };
    expect(await stored()).toBe(10);

    await pgProxy!.start();
    const restoredAt = performance.now();
    await msUntil(async () => (await http.request('GET', '/readyz')).status === 200, 10_000);
    const readyz200Ms = Math.round(performance.now() - restoredAt);
    expect(fixture.leads()).toBe(true);
    // The next tick after the cut enqueues as usual, from a fresh agent lookup.
    await fixture.queue.drain(true);
    const from = fixture.logs.length;
    await clock.advanceAndSettle(TEN_MINUTES);
    await fixture.ticksSettled();
    const afterRestore = fixture.events('tick', from);
    expect(afterRestore.find((l) => l.type === 'orders')).toMatchObject({
      enqueued: AGENTS,
      deduplicated: 0,
    });
    expect(fixture.events('tick_failed', from)).toEqual([]);

    const postAgain = await http.request('POST', '/api/sync/intervals/orders', {
      intervalMinutes: 15,
    });
    expect(postAgain.status).toBe(200);
    expect(await stored()).toBe(15);
    expect(service.scheduler.getDetailedIntervals().orders).toBe(15);

    expect(fixture.unhandled.seen).toEqual([]);
    expect(fixture.logMessages().filter((m) => /unhandled/i.test(m))).toEqual([]);
    await report('postgres-cut', {
      cutMs: cutLastedMs,
      readyz503AfterMs: readyz503Ms,
      leaderThroughoutCut: leadership,
      postIntervals: { status: post.status, ms: Math.round(post.ms), error: post.body.error },
      ticksDuringCut: ticked.map(
        (l) => `${String(l.type)}+${String(l.enqueued)}/${String(l.deduplicated)}`,
      ),
      ticksFailedDuringCut: fixture.events('tick_failed', cutFrom).length,
      triggerDuringCut: { status: trigger.status, ms: Math.round(trigger.ms), ...trigger.body },
      staleAgentLookups: stale,
      readyz200AfterRestoreMs: readyz200Ms,
      ticksAfterRestore: afterRestore.map((l) => `${String(l.type)}+${String(l.enqueued)}`),
      postIntervalsAfterRestore: { status: postAgain.status, ms: Math.round(postAgain.ms) },
    });
  }, 60_000);

  it('keeps ticking with the last known agent list while PostgreSQL is cut', async () => {
    const { pgProxy } = await midRun();
    await pgProxy!.stop();
    await sleep(500);
    const from = fixture.logs.length;
    await clock.advanceAndSettle(TEN_MINUTES);
    await eventually(() => fixture.events('tick', from).find((l) => l.type === 'orders'), 3_000);
    expect(fixture.events('tick', from).find((l) => l.type === 'orders')).toMatchObject({
      enqueued: AGENTS,
    });
    expect(fixture.leads()).toBe(true);
  }, 30_000);
});
