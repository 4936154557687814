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

  it('keeps running, reports Redis in /readyz, counts the failed ticks, and enqueues again once Redis is back', async () => {
    const clock = new ManualClock(Date.now());
    fixture = await FaultFixture.create({ proxyRedis: true, agents: AGENTS, clock });
    const { service, http, redisProxy } = fixture;
    await fixture.startLeading();

    // Mid-run: every type has ticked once and a worker has taken the jobs.
    await clock.advanceAndSettle(0);
    await fixture.ticksSettled();
    expect(await fixture.pendingJobs()).toHaveLength(4 * AGENTS + 2);
    await fixture.queue.drain(true);
    const failuresBefore = await metricSum(service, 'sync_scheduler_tick_failures_total');

    await redisProxy!.stop();
    const cutAt = performance.now();
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

    // The schedule goes on during the cut: every simulated 10 minutes some types tick, and fail.
    const cutFrom = fixture.logs.length;
    const failedTickMs: number[] = [];
    let trigger = { status: 0, ms: 0 };
    while (performance.now() - cutAt < CUT_MS - 3_000) {
      const from = fixture.logs.length;
      const firedAt = performance.now();
      await clock.advanceAndSettle(TEN_MINUTES);
      await fixture.ticksSettled();
      failedTickMs.push(performance.now() - firedAt);
      expect(fixture.events('tick', from)).toEqual([]);
      if (trigger.status === 0) {
        const reply = await http.request('POST', '/api/sync/trigger/orders');
        trigger = { status: reply.status, ms: Math.round(reply.ms) };
        expect(reply.body).toMatchObject({ success: false, error: expect.any(String) });
      }
      expect((await http.request('GET', '/healthz')).status).toBe(200);
      await sleep(1_000);
    }
    const failed = fixture.events('tick_failed', cutFrom);
    const ticksFired = failed.length;
    expect(failed.every((l) => l.stage === 'enqueue')).toBe(true);
    const failures =
      (await metricSum(service, 'sync_scheduler_tick_failures_total', { stage: 'enqueue' })) -
      failuresBefore;
    expect(failures).toBe(ticksFired);
    expect(ticksFired).toBeGreaterThanOrEqual(6);
    expect(trigger.status).toBe(503);
    const metricsText = await http.request('GET', '/metrics');
    expect(String(metricsText.body.text)).toMatch(
      /sync_scheduler_tick_failures_total\{type="orders",stage="enqueue"\} [1-9]/,
    );
    await sleep(Math.max(0, CUT_MS - (performance.now() - cutAt)));
    const cutLastedMs = Math.round(performance.now() - cutAt);

    // Restore, and let the orders tick fire at that very moment.
    await redisProxy!.start();
    const restoredAt = performance.now();
    const from = fixture.logs.length;
    await clock.advanceAndSettle(TEN_MINUTES);
    const firstEnqueueMs = await msUntil(
      () => fixture.events('tick', from).some((l) => l.type === 'orders'),
      10_000,
      20,
    );
    const tick = fixture.events('tick', from).find((l) => l.type === 'orders');
    expect(tick).toMatchObject({ enqueued: AGENTS, deduplicated: 0 });
    expect(fixture.events('tick_failed', from)).toEqual([]);
    await msUntil(async () => (await http.request('GET', '/readyz')).status === 200, 10_000);
    const readyz200Ms = Math.round(performance.now() - restoredAt);
    await fixture.ticksSettled();
    const pending = await fixture.pendingJobs();
    expect(pending.filter((j) => j.name === 'sync-orders')).toHaveLength(AGENTS);

    expect(fixture.unhandled.seen).toEqual([]);
    expect(service.isStopping()).toBe(false);
    expect(fixture.logMessages().filter((m) => /unhandled/i.test(m))).toEqual([]);

    await report('redis-cut', {
      cutMs: cutLastedMs,
      readyz503AfterMs: readyz503Ms,
      ticksDuringCut: ticksFired,
      tickFailuresCounted: failures,
      failedTickMs: {
        min: Math.round(Math.min(...failedTickMs)),
        max: Math.round(Math.max(...failedTickMs)),
      },
      triggerDuringCut: trigger,
      firstEnqueueAfterRestoreMs: firstEnqueueMs,
      readyz200AfterRestoreMs: readyz200Ms,
      sampleFailure: failed[0]?.msg,
      redisErrorLogLines: fixture.logMessages().filter((m) => m.startsWith('redis:')).length,
    });
  }, 60_000);
});
