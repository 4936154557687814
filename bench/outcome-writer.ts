import type pg from 'pg';
import { PostgresAgentStateStore } from '../src/adapters/postgres/postgres-agent-state-store.js';
import { PostgresSyncHistory } from '../src/adapters/postgres/postgres-sync-history.js';
import { toPairOutcome } from '../src/adapters/queue/bullmq-history-recorder.js';
import type { SyncEvent } from '../src/domain/ports/sync-history.js';
import { AGENT_SYNC_TYPES } from '../src/domain/sync-types.js';
import { createTestDatabase } from '../test/support/postgres.js';
import {
  agentIds,
  checksTable,
  fmt,
  interleave,
  median,
  progress,
  ratios,
  spread,
  table,
  time,
  type Benchmark,
  type Check,
} from './support.js';

const AGENTS = 10_000;
/** One cycle of the fleet: every agent type of every agent finishes once. */
const OUTCOMES = AGENTS * AGENT_SYNC_TYPES.length;
const BATCH = 500;
const ROUNDS = 4;
const TARGET_PER_S = 5_000;
const CYCLE_MS = 10 * 60_000;
const START = Date.UTC(2026, 11, 1, 8, 0, 0);

/** One cycle's outcomes: fresh job ids each round, one in ten failing (a few agents always). */
function cycle(round: number, ids: readonly string[]): SyncEvent[] {
  return AGENT_SYNC_TYPES.flatMap((type, t) =>
    ids.map((userId, i): SyncEvent => {
      const failing = i % 10 === 0;
      return {
        jobId: `bench.${round}.${t}.${i}`,
        type,
        userId,
        success: !failing,
        finishedAt: START + round * CYCLE_MS + t * AGENTS + i,
        durationMs: 1_200,
        error: failing ? 'ERP answered 503' : null,
      };
    }),
  );
}

const batches = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) =>
    items.slice(i * BATCH, (i + 1) * BATCH),
  );

/** The baseline: the same rows, the same batches, one plain unnest INSERT each. */
async function plainInsert(pool: pg.Pool, events: readonly SyncEvent[]): Promise<void> {
  for (const batch of batches(events)) {
    await pool.query(
      `insert into bench.outcomes (job_id, sync_type, user_id, success, finished_at, duration_ms, error)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::timestamptz[],
                            $6::integer[], $7::text[])`,
      [
        batch.map((e) => e.jobId),
        batch.map((e) => e.type),
        batch.map((e) => e.userId),
        batch.map((e) => e.success),
        batch.map((e) => new Date(e.finishedAt).toISOString()),
        batch.map((e) => e.durationMs),
        batch.map((e) => e.error),
      ],
    );
  }
}

export const outcomeWriter: Benchmark = {
  name: 'outcome-writer',
  async run() {
    const db = await createTestDatabase();
    let results: Map<string, number[]>;
    try {
      const ids = agentIds(AGENTS);
      const history = new PostgresSyncHistory(db.pool);
      const agentState = new PostgresAgentStateStore(db.pool);
      // The table the baseline writes: the history's shape, constraints and indexes.
      await db.pool.query(
        `create schema bench;
         create table bench.outcomes (like system.sync_events including all)`,
      );
      // The ticks created the rows before the outcomes came back.
      for (const type of AGENT_SYNC_TYPES) await agentState.recordEnqueued(type, ids, START);
      const rounds = Array.from({ length: ROUNDS }, (_, round) => cycle(round, ids));

      // The writer's flush path: history first, then the agent state with what was new.
      const writer = async (events: readonly SyncEvent[]): Promise<void> => {
        for (const batch of batches(events)) {
          const inserted = await history.recordMany(batch);
          const now = batch.at(-1)?.finishedAt ?? START;
          await agentState.recordOutcomes(inserted.map(toPairOutcome), now);
        }
      };
      results = await interleave(ROUNDS, [
        {
          name: 'writer',
          run: (round) => {
            progress(`outcome-writer round ${round + 1}/${ROUNDS}`);
            return time(() => writer(rounds[round] ?? []));
          },
        },
        {
          name: 'plain',
          run: (round) => time(() => plainInsert(db.pool, rounds[round] ?? [])),
        },
      ]);
      const { rows } = await db.pool.query<{ n: number }>(
        `select count(*)::int as n from system.sync_agent_state where breaker_state = 'open'`,
      );
      progress(`outcome-writer: ${rows[0]?.n ?? 0} pairs open at the end`);
    } finally {
      await db.drop();
    }
    const writerMs = results.get('writer') ?? [];
    const plainMs = results.get('plain') ?? [];
    const perSecond = (ms: number): number => (OUTCOMES / ms) * 1000;
    const writerRate = writerMs.map(perSecond);
    const plainRate = plainMs.map(perSecond);
    const ratio = median(ratios(writerRate, plainRate));
    const rate = median(writerRate);
    const checks: Check[] = [
      {
        label: 'outcome writer throughput',
        target: `≥ ${TARGET_PER_S.toLocaleString('en-US')} outcomes/s`,
        measured: `${fmt(rate, 0)} outcomes/s (${fmt(ratio)} x plain INSERT)`,
        pass: rate >= TARGET_PER_S,
      },
    ];
    const body = [
      `${OUTCOMES.toLocaleString('en-US')} outcomes per round (one cycle: 4 agent types x ` +
        `${AGENTS.toLocaleString('en-US')} agents, 10 % failing), in batches of ${BATCH}, into a fresh ` +
        `database whose agent-state rows the ticks created. The writer's flush path is ` +
        `SyncHistory.recordMany (insert ... on conflict do nothing returning, and the chart ` +
        `counts of what it inserted upserted in the same statement) then ` +
        `AgentStateStore.recordOutcomes (one transaction: lock the pairs, fold the rules, upsert, ` +
        `ERP row); the baseline is a plain unnest INSERT of the same rows into a copy of the ` +
        `history table. ${ROUNDS} interleaved rounds, median of per-round ratios.`,
      '',
      table(
        ['figure', 'ratio (median)', 'absolute, median (min–max)'],
        [
          [
            'writer / plain batched INSERT (throughput)',
            `${fmt(ratio)} x`,
            `${spread(writerRate)} outcomes/s vs ${spread(plainRate)} outcomes/s`,
          ],
          ['time per round', '', `${spread(writerMs)} ms vs ${spread(plainMs)} ms`],
        ],
      ),
      '',
      checksTable(checks),
    ].join('\n');
    return { title: 'Outcome writer throughput', body, checks };
  },
};
