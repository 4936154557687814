import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { metricSum, msUntil, report, sleep } from '../support/fault-harness.js';
import { FaultFixture } from '../support/fault-fixture.js';
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

  it('answers POST /intervals with 503 and changes nothing, names postgres in /readyz, and works again once restored', async () => {
    const { service, http, pgProxy, db } = await midRun();
    const staleBefore = await metricSum(service, 'sync_scheduler_agent_lookups_total', {
      outcome: 'stale',
    });

    const cutFrom = fixture.logs.length;
    await pgProxy!.stop();
    const cutAt = performance.now();
    const leaderLost = msUntil(() => !service.leadership.isLeader(), 10_000, 5);
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

    // A manual trigger still reaches every agent: the registry serves the last known list.
    // Twenty simulated minutes: orders, customers, ddt and invoices all fall due.
    let ticksDuringCut = 0;
    for (let step = 0; step < 2; step++) {
      await clock.advanceAndSettle(TEN_MINUTES);
      ticksDuringCut += fixture.ticking().length;
      await fixture.ticksSettled();
    }
    const trigger = await http.request('POST', '/api/sync/trigger/orders');
    expect(trigger.status).toBe(202);
    expect(trigger.body).toMatchObject({ enqueued: AGENTS, deduplicated: 0 });
    const stale =
      (await metricSum(service, 'sync_scheduler_agent_lookups_total', { outcome: 'stale' })) -
      staleBefore;
    expect(stale).toBeGreaterThanOrEqual(1);
    const leaderLostMs = await leaderLost;

    await sleep(Math.max(0, CUT_MS - (performance.now() - cutAt)));
    const cutLastedMs = Math.round(performance.now() - cutAt);
    const scheduledDuringCut = fixture.events('tick', cutFrom).length;
    const failedDuringCut = fixture.events('tick_failed', cutFrom).length;
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
    await msUntil(() => fixture.leads(), 10_000, 10);
    const leaderAgainMs = Math.round(performance.now() - restoredAt);
    // Overdue types fire as soon as leadership is back (orders' jobs are still pending from
    // the manual trigger, so that tick deduplicates them).
    const from = fixture.logs.length;
    await clock.advanceAndSettle(0);
    await fixture.ticksSettled();
    const afterRestore = fixture.events('tick', from);
    expect(afterRestore.find((l) => l.type === 'orders')).toMatchObject({
      enqueued: 0,
      deduplicated: AGENTS,
    });
    for (const type of ['customers', 'ddt', 'invoices']) {
      expect(afterRestore.find((l) => l.type === type)).toMatchObject({ enqueued: AGENTS });
    }
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
      leadershipLostAfterMs: leaderLostMs,
      postIntervals: { status: post.status, ms: Math.round(post.ms), error: post.body.error },
      ticksFiredDuringCut: ticksDuringCut,
      ticksCompletedDuringCut: scheduledDuringCut,
      ticksFailedDuringCut: failedDuringCut,
      triggerDuringCut: { status: trigger.status, ms: Math.round(trigger.ms), ...trigger.body },
      staleAgentLookups: stale,
      readyz200AfterRestoreMs: readyz200Ms,
      leaderAgainAfterRestoreMs: leaderAgainMs,
      ticksRightAfterLeadership: afterRestore.map((l) => `${String(l.type)}+${String(l.enqueued)}`),
      postIntervalsAfterRestore: { status: postAgain.status, ms: Math.round(postAgain.ms) },
    });
  }, 60_000);

  // Known gap (reported, not fixed here): leadership is a PostgreSQL session lock, and the
  // leader steps down the moment that session is lost, clearing its timers; so during a cut no
  // replica ticks at all, and the stale agent list only serves manual triggers. Overdue types
  // catch up as soon as PostgreSQL (and leadership) is back. `it.fails` keeps the suite green
  // while the gap is open: make it `it` once the leader keeps scheduling through an outage.
  it.fails(
    'keeps ticking with the last known agent list while PostgreSQL is cut',
    async () => {
      const { pgProxy } = await midRun();
      await pgProxy!.stop();
      await sleep(500);
      const from = fixture.logs.length;
      await clock.advanceAndSettle(TEN_MINUTES);
      await eventually(() => fixture.events('tick', from).find((l) => l.type === 'orders'), 3_000);
      expect(fixture.events('tick', from).find((l) => l.type === 'orders')).toMatchObject({
        enqueued: AGENTS,
      });
    },
    30_000,
  );
});
