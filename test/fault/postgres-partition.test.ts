import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { msUntil, report, sampleLeadership } from '../support/fault-harness.js';
import { FaultFixture } from '../support/fault-fixture.js';

/** The pool's client-side query timeout: statement timeout 10 s + 1 s (adapters/postgres/pool.ts). */
const QUERY_TIMEOUT_MS = 11_000;

describe('fault: PostgreSQL stops answering (a partition, not a refusal)', () => {
  let fixture: FaultFixture;
  afterEach(() => fixture?.cleanup());

  it('keeps leading, answers /readyz 503 within about 1 s and POST /intervals 503 within the query timeout; a write that lands once the partition heals is followed, not diverged from', async () => {
    const clock = new ManualClock(Date.now());
    fixture = await FaultFixture.create({ proxyPostgres: true, agents: 3, clock });
    const { service, http, pgProxy, db } = fixture;
    await fixture.startLeading();
    await clock.advanceAndSettle(0);
    await fixture.ticksSettled();

    const partitionFrom = fixture.logs.length;
    pgProxy!.blackhole();
    // Leadership lives in Redis: a PostgreSQL partition must not make this replica step down.
    const sampler = sampleLeadership(() => service.leadership.isLeader());
    const [readyz, post, trigger] = await Promise.all([
      http.request('GET', '/readyz'),
      http.request('POST', '/api/sync/intervals/orders', { intervalMinutes: 30 }),
      http.request('POST', '/api/sync/trigger/orders'),
    ]);
    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatchObject({ checks: { postgres: 'unreachable', redis: 'ok' } });
    expect(readyz.ms).toBeLessThan(1_500);
    expect(post, JSON.stringify(post.body)).toMatchObject({ status: 503 });
    expect(post.ms).toBeLessThan(QUERY_TIMEOUT_MS + 1_500);
    expect(trigger, JSON.stringify(trigger.body)).toMatchObject({ status: 202 });
    expect(service.scheduler.getDetailedIntervals().orders).toBe(10);

    // The held write may still reach the server when the network heals, after the client gave
    // up (a 503 cannot always mean "nothing changed" across a partition). Whatever the database
    // ends up holding, the scheduler must follow it, not diverge from it.
    pgProxy!.restore();
    const stored = async () =>
      (
        await db.pool.query<{ interval_minutes: number }>(
          "select interval_minutes from system.sync_settings where sync_type = 'orders'",
        )
      ).rows[0]?.interval_minutes;
    // Time for a held write to land and be announced (the resync would catch a lost NOTIFY).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const inDatabase = await stored();
    const agreeAfterMs = await msUntil(
      () => service.scheduler.getDetailedIntervals().orders === inDatabase,
      5_000,
    );
    const writeLanded = inDatabase === 30;
    expect(service.scheduler.getDetailedIntervals().orders).toBe(inDatabase);
    const leadership = sampler.stop();
    expect(leadership.notLeader).toBe(0);
    expect(fixture.events('leadership', partitionFrom)).toEqual([]);
    expect(fixture.leads()).toBe(true);

    expect(fixture.unhandled.seen).toEqual([]);
    await report('postgres-partition', {
      readyz: { status: readyz.status, ms: Math.round(readyz.ms) },
      postIntervals: { status: post.status, ms: Math.round(post.ms) },
      triggerWithLastKnownList: { status: trigger.status, ms: Math.round(trigger.ms) },
      leaderThroughoutPartition: leadership,
      ordersIntervalAfterHealing: {
        database: inDatabase,
        scheduler: service.scheduler.getDetailedIntervals().orders,
        writeLanded,
        agreeAfterMs,
      },
    });
  }, 60_000);
});
