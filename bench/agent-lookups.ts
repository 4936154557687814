import type pg from 'pg';
import { CachingAgentRegistry } from '../src/adapters/agents/caching-agent-registry.js';
import { ManualClock } from '../src/adapters/memory/manual-clock.js';
import { createPool } from '../src/adapters/postgres/pool.js';
import { PostgresAgentRegistry } from '../src/adapters/postgres/postgres-agent-registry.js';
import type { AgentActivity } from '../src/domain/activity.js';
import type { AgentRegistry } from '../src/domain/ports/agent-registry.js';
import { createTestDatabase } from '../test/support/postgres.js';
import {
  checksTable,
  fmt,
  fmtInt,
  progress,
  spread,
  table,
  time,
  type Benchmark,
  type Check,
} from './support.js';

const AGENTS = 10_000;
const TTL_MS = 5_000;
const WINDOWS = 5;
const ROUNDS = 2;
const CALLER_COUNTS = [4, 100] as const;

/**
 * Counts the lookups that leave the process for PostgreSQL: either list (the cache asks for
 * the agents with their activity, the uncached baseline for the ids). activityKnown is not
 * counted: after its one information_schema check it answers from memory.
 */
class CountingAgentRegistry implements AgentRegistry {
  calls = 0;
  constructor(private readonly source: AgentRegistry) {}
  listActiveAgentIds(): Promise<readonly string[]> {
    this.calls++;
    return this.source.listActiveAgentIds();
  }
  listAgents(): Promise<readonly AgentActivity[]> {
    this.calls++;
    return this.source.listAgents();
  }
  activityKnown(): Promise<boolean> {
    return this.source.activityKnown();
  }
}

/**
 * Scans of agents.users as PostgreSQL itself counts them (the registry's query is one
 * index-only scan). Backends flush these counters when they exit, so read after the pool ends.
 */
async function tableScans(observer: pg.Pool): Promise<number> {
  const { rows } = await observer.query<{ scans: string }>(
    `select seq_scan + coalesce(idx_scan, 0) as scans
       from pg_stat_user_tables where relid = 'agents.users'::regclass`,
  );
  return Number(rows[0]?.scans ?? Number.NaN);
}

/** Polls until the counter stops moving (an exiting backend may flush a moment late). */
async function settledScans(observer: pg.Pool): Promise<number> {
  let last = await tableScans(observer);
  for (let stable = 0, tries = 0; stable < 3 && tries < 60; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await tableScans(observer);
    stable = next === last ? stable + 1 : 0;
    last = next;
  }
  return last;
}

interface Run {
  readonly counted: number;
  readonly observed: number;
  readonly burstMs: number[];
}

async function lookups(url: string, observer: pg.Pool, callers: number, cached: boolean) {
  const before = await settledScans(observer);
  const pool = createPool(url);
  const source = new CountingAgentRegistry(new PostgresAgentRegistry(pool));
  const clock = new ManualClock();
  const registry = cached ? new CachingAgentRegistry(source, clock, TTL_MS) : source;
  const burstMs: number[] = [];
  try {
    for (let window = 0; window < WINDOWS; window++) {
      burstMs.push(
        await time(async () => {
          const lists = await Promise.all(
            Array.from({ length: callers }, () => registry.listActiveAgentIds()),
          );
          if (lists.some((ids) => ids.length !== AGENTS)) throw new Error('short agent list');
        }),
      );
      clock.advance(TTL_MS + 1);
    }
  } finally {
    await pool.end();
  }
  const observed = (await settledScans(observer)) - before;
  return { counted: source.calls, observed, burstMs } satisfies Run;
}

export const agentLookups: Benchmark = {
  name: 'agent-lookups',
  async run() {
    const db = await createTestDatabase();
    const runs = new Map<string, Run[]>();
    try {
      await db.pool.query(
        `insert into agents.users (id, username)
         select 'agent-' || lpad(g::text, 5, '0'), 'user-' || lpad(g::text, 5, '0')
           from generate_series(0, $1 - 1) g`,
        [AGENTS],
      );
      await db.pool.query('analyze agents.users');
      for (let round = 0; round < ROUNDS; round++) {
        progress(`agent-lookups round ${round + 1}/${ROUNDS}`);
        const order = round % 2 === 0 ? [false, true] : [true, false];
        for (const callers of CALLER_COUNTS) {
          for (const cached of order) {
            const key = `${callers}-${cached}`;
            runs.set(key, [
              ...(runs.get(key) ?? []),
              await lookups(db.url, db.pool, callers, cached),
            ]);
          }
        }
      }
    } finally {
      await db.drop();
    }

    const checks: Check[] = [];
    const rows: string[][] = [];
    for (const callers of CALLER_COUNTS) {
      const cached = runs.get(`${callers}-true`) ?? [];
      const direct = runs.get(`${callers}-false`) ?? [];
      const perWindow = (list: Run[], pick: (run: Run) => number) =>
        Math.max(...list.map(pick)) / WINDOWS;
      const cachedObserved = perWindow(cached, (r) => r.observed);
      const cachedCounted = perWindow(cached, (r) => r.counted);
      const directObserved = perWindow(direct, (r) => r.observed);
      const exact = [...cached].every((r) => r.observed === WINDOWS && r.counted === WINDOWS);
      checks.push({
        label: `${callers} concurrent callers: queries per cache window`,
        target: 'exactly 1',
        measured: `${fmt(cachedObserved, 0)} (PostgreSQL), ${fmt(cachedCounted, 0)} (wrapper)`,
        pass: exact,
      });
      rows.push([
        `${callers} callers`,
        `${fmt(cachedObserved / directObserved, 3)} x`,
        `${fmt(cachedObserved, 2)} / ${fmt(cachedCounted, 2)}`,
        `${fmt(directObserved, 2)} / ${fmt(
          perWindow(direct, (r) => r.counted),
          2,
        )}`,
        `${spread(
          cached.flatMap((r) => r.burstMs),
          1,
        )} vs ${spread(
          direct.flatMap((r) => r.burstMs),
          1,
        )}`,
      ]);
    }
    const body = [
      `CachingAgentRegistry (TTL ${fmtInt(TTL_MS)} ms, ManualClock advanced past the TTL between ` +
        `windows) over PostgresAgentRegistry, on a fresh database with ${fmtInt(AGENTS)} ` +
        `whitelisted agents; ${WINDOWS} windows per run, ${ROUNDS} rounds; baseline: ` +
        `PostgresAgentRegistry alone. Queries are counted twice: calls reaching the ` +
        `PostgresAgentRegistry (wrapper) and scans of agents.users in pg_stat_user_tables ` +
        `(seq_scan + idx_scan deltas, read after the pool's backends exit; pg_stat_statements is ` +
        `not preloaded on this server). Worst round shown.`,
      '',
      table(
        [
          'callers per window',
          'queries cached / uncached',
          'cached: per window (PostgreSQL / wrapper)',
          'uncached: per window (PostgreSQL / wrapper)',
          'time per window, ms: cached vs uncached, median (min–max)',
        ],
        rows,
      ),
      '',
      checksTable(checks),
    ].join('\n');
    return { title: 'Agent lookups reaching PostgreSQL', body, checks };
  },
};
