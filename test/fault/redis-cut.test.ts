import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { metricSum, msUntil, report, sleep } from '../support/fault-harness.js';
import { FaultFixture } from '../support/fault-fixture.js';

const CUT_MS = 20_000;
const TEN_MINUTES = 10 * 60_000;
const AGENTS = 3;

describe('fault: Redis cut for 20 s mid-run', () => {
  let fixture: FaultFixture;
  afterEach(() => fixture?.cleanup());

  it('keeps running, reports Redis in /readyz, counts the failed ticks, steps down by its lease deadline, and leads and enqueues again once Redis is back', async () => {
    const clock = new ManualClock(Date.now());
    fixture = await FaultFixture.create({ proxyRedis: true, agents: AGENTS, clock });
    const { service, http, redisProxy } = fixture;
    const { leaderPollMs: pollMs, leaderLeaseMs: leaseMs } = service.config;
    const marginMs = Math.max(pollMs, leaseMs / 4);
    await fixture.startLeading();

    // Mid-run: every type has ticked once and a worker has taken the jobs.
    await clock.advanceAndSettle(0);
    await fixture.ticksSettled();
    expect(await fixture.pendingJobs()).toHaveLength(4 * AGENTS + 2);
    await fixture.queue.drain(true);
    const failuresBefore = await metricSum(service, 'sync_scheduler_tick_failures_total');

    await redisProxy!.stop();
    const cutAt = performance.now();
    // Leadership lives in Redis: cut off from it, the leader keeps its timers only until the
    // deadline of its last renewal (lease - margin after it was sent), then steps down.
    const leaderLost = msUntil(() => !service.leadership.isLeader(), leaseMs, 5);
    const readyz503Ms = await msUntil(async () => {
      const reply = await http.request('GET', '/readyz');
      return reply.status === 503;
    }, 5_000);
    const readyz = await http.request('GET', '/readyz');
    expect(readyz.body).toMatchObject({
      success: false,
      error: expect.stringContaining('redis'),
      checks: { postgres: 'ok', redis: 'unreachable' },
    });

    // Every simulated 10 minutes some types fall due: while it still leads they tick and fail
    // at the enqueue; once it has stepped down nothing ticks (nobody could enqueue anyway).
    const cutFrom = fixture.logs.length;
    const failedTickMs: number[] = [];
    let roundsLeading = 0;
    let roundsAfterStepDown = 0;
    let trigger = { status: 0, ms: 0 };
    while (performance.now() - cutAt < CUT_MS - 3_000) {
      const from = fixture.logs.length;
      const leading = fixture.leads();
      const firedAt = performance.now();
      await clock.advanceAndSettle(TEN_MINUTES);
      await fixture.ticksSettled();
      expect(fixture.events('tick', from)).toEqual([]);
      if (leading && service.leadership.isLeader()) {
        roundsLeading += 1;
        failedTickMs.push(performance.now() - firedAt);
      } else if (!leading) {
        roundsAfterStepDown += 1;
        expect(fixture.events('tick_failed', from)).toEqual([]);
      }
      if (trigger.status === 0) {
        const reply = await http.request('POST', '/api/sync/trigger/orders');
        trigger = { status: reply.status, ms: Math.round(reply.ms) };
        expect(reply.body).toMatchObject({ success: false, error: expect.any(String) });
      }
      expect((await http.request('GET', '/healthz')).status).toBe(200);
      await sleep(1_000);
    }
    const leaderLostMs = await leaderLost;
    expect(leaderLostMs).toBeLessThanOrEqual(leaseMs - marginMs + 500);
    expect(fixture.events('leadership', cutFrom)).toMatchObject([{ isLeader: false }]);
    expect(roundsLeading).toBeGreaterThanOrEqual(2);
    expect(roundsAfterStepDown).toBeGreaterThanOrEqual(2);
    const failed = fixture.events('tick_failed', cutFrom);
    const ticksFired = failed.length;
    expect(failed.every((l) => l.stage === 'enqueue')).toBe(true);
    const failures =
      (await metricSum(service, 'sync_scheduler_tick_failures_total', { stage: 'enqueue' })) -
      failuresBefore;
    expect(failures).toBe(ticksFired);
    expect(ticksFired).toBeGreaterThanOrEqual(3);
    expect(trigger.status).toBe(503);
    const metricsText = await http.request('GET', '/metrics');
    expect(String(metricsText.body.text)).toMatch(
      /sync_scheduler_tick_failures_total\{type="orders",stage="enqueue"\} [1-9]/,
    );
    expect(String(metricsText.body.text)).toMatch(/sync_scheduler_leader 0/);
    await sleep(Math.max(0, CUT_MS - (performance.now() - cutAt)));
    const cutLastedMs = Math.round(performance.now() - cutAt);

    // Restore: the lease expired during the cut, so this replica takes it again at once;
    // gaining leadership reloads the last runs from PostgreSQL, and overdue types fire now.
    await redisProxy!.start();
    const restoredAt = performance.now();
    await msUntil(() => fixture.leads(), 10_000, 10);
    const leaderAgainMs = Math.round(performance.now() - restoredAt);
    const from = fixture.logs.length;
    await clock.advanceAndSettle(0);
    const firstEnqueueMs = await msUntil(
      () => fixture.events('tick', from).some((l) => l.type === 'orders'),
      10_000,
      20,
    );
    const firstEnqueueAfterRestoreMs = Math.round(performance.now() - restoredAt);
    const tick = fixture.events('tick', from).find((l) => l.type === 'orders');
    expect(tick).toMatchObject({ enqueued: AGENTS, deduplicated: 0 });
    expect(fixture.events('tick_failed', from)).toEqual([]);
    await msUntil(async () => (await http.request('GET', '/readyz')).status === 200, 10_000);
    const readyz200Ms = Math.round(performance.now() - restoredAt);
    await fixture.ticksSettled();
    const pending = await fixture.pendingJobs();
    expect(pending.filter((j) => j.name === 'sync-orders')).toHaveLength(AGENTS);
    // And the schedule goes on: the next orders tick finds those jobs pending.
    const next = fixture.logs.length;
    await clock.advanceAndSettle(TEN_MINUTES);
    await fixture.ticksSettled();
    expect(fixture.events('tick', next).find((l) => l.type === 'orders')).toMatchObject({
      enqueued: 0,
      deduplicated: AGENTS,
    });

    expect(fixture.unhandled.seen).toEqual([]);
    expect(service.isStopping()).toBe(false);
    expect(fixture.logMessages().filter((m) => /unhandled/i.test(m))).toEqual([]);

    await report('redis-cut', {
      cutMs: cutLastedMs,
      readyz503AfterMs: readyz503Ms,
      leaseMs,
      leadershipLostAfterMs: leaderLostMs,
      roundsWhileLeading: roundsLeading,
      roundsAfterStepDown,
      ticksDuringCut: ticksFired,
      tickFailuresCounted: failures,
      failedTickMs: {
        min: Math.round(Math.min(...failedTickMs)),
        max: Math.round(Math.max(...failedTickMs)),
      },
      triggerDuringCut: trigger,
      leaderAgainAfterRestoreMs: leaderAgainMs,
      firstEnqueueAfterLeadershipMs: firstEnqueueMs,
      firstEnqueueAfterRestoreMs,
      readyz200AfterRestoreMs: readyz200Ms,
      sampleFailure: failed[0]?.msg,
      redisErrorLogLines: fixture.logMessages().filter((m) => m.startsWith('redis:')).length,
      leaderElectionLogLines: fixture
        .logMessages()
        .filter((m) => m.startsWith('leader election:'))
        .slice(-6),
    });
  }, 60_000);
});
