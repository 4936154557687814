import type { Pool } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { PG_POOL } from '../../src/adapters/postgres/tokens.js';
import { SYNC_TYPES, type SyncType } from '../../src/domain/sync-types.js';
import { metricSum, percentile, report, sleep, type Reply } from '../support/fault-harness.js';
import { FaultFixture } from '../support/fault-fixture.js';

const LATENCY_MS = 500;
const SLOW_WINDOW_MS = 8_000;
const BASELINE_MS = 2_000;
const FIVE_MINUTES = 5 * 60_000;
const AGENTS = 50;

/**
 * What an admin and an orchestrator keep calling; `pg` marks the routes that may query
 * PostgreSQL (a trigger reads the agent list when the cache has expired).
 */
const CALLS: readonly {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  pg: boolean;
}[] = [
  { name: 'GET /healthz', method: 'GET', path: '/healthz', pg: false },
  { name: 'GET /readyz', method: 'GET', path: '/readyz', pg: true },
  { name: 'GET /intervals', method: 'GET', path: '/api/sync/intervals', pg: false },
  { name: 'GET /auto-sync/status', method: 'GET', path: '/api/sync/auto-sync/status', pg: false },
  { name: 'GET /monitoring/status', method: 'GET', path: '/api/sync/monitoring/status', pg: true },
  { name: 'POST /trigger/orders', method: 'POST', path: '/api/sync/trigger/orders', pg: true },
  {
    name: 'POST /intervals/customers',
    method: 'POST',
    path: '/api/sync/intervals/customers',
    body: { intervalMinutes: 15 },
    pg: true,
  },
];

interface Sample {
  readonly name: string;
  readonly status: number;
  readonly ms: number;
}

describe('fault: slow PostgreSQL (500 ms per query)', () => {
  let fixture: FaultFixture;
  afterEach(() => fixture?.cleanup());

  it('keeps ticks and the API responsive, and never piles agent lookups up', async () => {
    const agentQueries: number[] = [];
    const clock = new ManualClock(Date.now());
    fixture = await FaultFixture.create({
      proxyPostgres: {
        onChunk: (direction, chunk) => {
          if (direction === 'upstream' && chunk.includes('from agents.users')) {
            agentQueries.push(performance.now());
          }
        },
      },
      agents: AGENTS,
      clock,
      // Production's poll: the leader's heartbeat may take up to 1.5 s.
      env: { LEADER_POLL_MS: '2000' },
    });
    const { service, http, pgProxy } = fixture;
    const pool = service.container.get<Pool>(PG_POOL);
    await fixture.startLeading();
    await clock.advanceAndSettle(0);
    await fixture.ticksSettled();

    /** Drives ticks (one simulated 5 minutes per real second) and two admin clients for `ms`. */
    const load = async (ms: number) => {
      const samples: Sample[] = [];
      const tickMs: number[] = [];
      const tickStarted = new Map<SyncType, number>();
      let maxWaiting = 0;
      let maxTotal = 0;
      const until = performance.now() + ms;
      const sampler = setInterval(() => {
        maxWaiting = Math.max(maxWaiting, pool.waitingCount);
        maxTotal = Math.max(maxTotal, pool.totalCount);
        for (const type of SYNC_TYPES) {
          const ticking = service.scheduler.scheduleOf(type).ticking;
          const since = tickStarted.get(type);
          if (ticking && since === undefined) tickStarted.set(type, performance.now());
          if (!ticking && since !== undefined) {
            tickMs.push(performance.now() - since);
            tickStarted.delete(type);
          }
        }
      }, 5);
      const client = async (offset: number) => {
        for (let i = offset; performance.now() < until; i++) {
          const call = CALLS[i % CALLS.length]!;
          const reply: Reply = await http.request(call.method, call.path, call.body);
          samples.push({ name: call.name, status: reply.status, ms: reply.ms });
          await sleep(50);
        }
      };
      const ticker = async () => {
        while (performance.now() < until) {
          await clock.advanceAndSettle(FIVE_MINUTES);
          await sleep(1_000);
        }
      };
      await Promise.all([client(0), client(3), ticker()]);
      await fixture.ticksSettled();
      await sleep(20);
      clearInterval(sampler);
      return { samples, tickMs, maxWaiting, maxTotal };
    };
    const lookups = async () => ({
      miss: await metricSum(service, 'sync_scheduler_agent_lookups_total', { outcome: 'miss' }),
      shared: await metricSum(service, 'sync_scheduler_agent_lookups_total', { outcome: 'shared' }),
      hit: await metricSum(service, 'sync_scheduler_agent_lookups_total', { outcome: 'hit' }),
    });

    const baseline = await load(BASELINE_MS);

    pgProxy!.slow(LATENCY_MS, 'downstream');
    const logFrom = fixture.logs.length;
    const queriesFrom = agentQueries.length;
    const before = await lookups();
    const slow = await load(SLOW_WINDOW_MS);
    const after = await lookups();
    pgProxy!.restore();

    const summary = (samples: readonly Sample[], pg: boolean) => {
      const ms = samples
        .filter((s) => CALLS.find((c) => c.name === s.name)?.pg === pg)
        .map((s) => s.ms);
      return {
        n: ms.length,
        p50: percentile(ms, 50),
        p99: percentile(ms, 99),
        max: percentile(ms, 100),
      };
    };
    const perRoute = Object.fromEntries(
      CALLS.map(({ name }) => {
        const ms = slow.samples.filter((s) => s.name === name).map((s) => s.ms);
        return [name, { n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99) }];
      }),
    );
    const queries = agentQueries.slice(queriesFrom);
    const gaps = queries.slice(1).map((t, i) => t - queries[i]!);
    const statuses = [...new Set(slow.samples.map((s) => s.status))].sort();
    const figures = {
      latencyMs: LATENCY_MS,
      windowMs: SLOW_WINDOW_MS,
      requests: slow.samples.length,
      statuses,
      noPostgres: {
        baseline: summary(baseline.samples, false),
        slow: summary(slow.samples, false),
      },
      postgres: { baseline: summary(baseline.samples, true), slow: summary(slow.samples, true) },
      perRoute,
      ticks: {
        n: slow.tickMs.length,
        p50: percentile(slow.tickMs, 50),
        max: percentile(slow.tickMs, 100),
        baselineMax: percentile(baseline.tickMs, 100),
      },
      agentLookups: {
        callers: after.miss + after.shared + after.hit - (before.miss + before.shared + before.hit),
        queries: queries.length,
        miss: after.miss - before.miss,
        shared: after.shared - before.shared,
        minGapBetweenQueriesMs: gaps.length ? Math.round(Math.min(...gaps)) : null,
      },
      pool: { maxWaiting: slow.maxWaiting, maxConnections: slow.maxTotal },
      skippedTicks: fixture.events('tick_skipped', logFrom).length,
      failedTicks: fixture.events('tick_failed', logFrom).length,
    };
    await report('slow-postgres', figures);

    // Every call answered, and nothing failed.
    expect(statuses.every((s) => s === 200 || s === 202)).toBe(true);
    expect(figures.failedTicks).toBe(0);
    expect(figures.skippedTicks).toBe(0);
    // Routes that do not need PostgreSQL do not wait for it.
    expect(figures.noPostgres.slow.p99).toBeLessThan(250);
    // Those that do cost about one round trip, not a queue's worth.
    expect(figures.postgres.slow.p99).toBeLessThan(4 * LATENCY_MS);
    expect(figures.ticks.max).toBeLessThan(4 * LATENCY_MS);
    expect(slow.tickMs.length).toBeGreaterThanOrEqual(6);
    // One agent query at a time: each started after the previous one had answered.
    expect(queries.length).toBe(figures.agentLookups.miss);
    expect(queries.length).toBeLessThanOrEqual(Math.ceil(SLOW_WINDOW_MS / 1_000) + 1);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(LATENCY_MS - 50);
    expect(figures.agentLookups.callers).toBeGreaterThan(queries.length);
    expect(pool.waitingCount).toBe(0);
    expect(fixture.unhandled.seen).toEqual([]);
  }, 60_000);
});
