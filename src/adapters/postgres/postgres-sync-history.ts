import { inject, injectable, optional } from 'inversify';
import type { Pool } from 'pg';
import type {
  ChartSlot,
  ChartSlots,
  DecisionClass,
  SyncEvent,
  SyncHistory,
  TickDecision,
} from '../../domain/ports/sync-history.js';
import { historyFrom, slotCount } from '../../domain/chart-slots.js';
import { isSyncType, SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { unreachableAs } from '../unreachable.js';
import { PG_POOL } from './tokens.js';

export interface SyncHistoryRetention {
  /** Newest events kept per type (default 500). */
  readonly maxPerType?: number;
  /** Events older than this go whatever their count, and so do the chart counts (default 7). */
  readonly maxAgeDays?: number;
  /** The scheduler minute (SCHEDULER_MINUTE_MS, default 60000): the chart counts' bucket. */
  readonly minuteMs?: number;
  /** Epoch ms the age bound is measured from; tests pin it. */
  readonly now?: () => number;
}

export const SYNC_HISTORY_RETENTION = Symbol.for('sync-scheduler/SyncHistoryRetention');

interface EventRow {
  job_id: string;
  sync_type: string;
  user_id: string;
  success: boolean;
  finished_at: Date;
  duration_ms: number | null;
  error: string | null;
}

interface DecisionRow {
  sync_type: string;
  decided_at: Date;
  class: DecisionClass;
  count: number;
}

/** The sums are numeric (sums of bigint), which pg hands over as strings. */
interface ChartRow {
  i: number;
  released: string;
  deduplicated: string;
  skipped_breaker: string;
  skipped_window: string;
  deferred_budget: string;
  completed: string;
  failed: string;
}

const DAY_MS = 86_400_000;
const UNREADABLE = 'The sync history could not be read: the database is unreachable.';

@injectable()
export class PostgresSyncHistory implements SyncHistory {
  private readonly maxPerType: number;
  private readonly maxAgeMs: number;
  private readonly minuteMs: number;
  private readonly now: () => number;

  constructor(
    @inject(PG_POOL) private readonly pool: Pool,
    // Optional: without a binding the defaults apply.
    @inject(SYNC_HISTORY_RETENTION) @optional() retention: SyncHistoryRetention = {},
  ) {
    this.maxPerType = retention.maxPerType ?? 500;
    this.maxAgeMs = (retention.maxAgeDays ?? 7) * DAY_MS;
    this.minuteMs = retention.minuteMs ?? 60_000;
    this.now = retention.now ?? Date.now;
  }

  async record(event: SyncEvent): Promise<void> {
    await this.recordMany([event]);
  }

  async recordMany(events: readonly SyncEvent[]): Promise<readonly SyncEvent[]> {
    if (events.length === 0) return [];
    // One statement whatever the batch size: seven arrays, one parse, one plan. DO NOTHING
    // also skips a duplicate inside the batch (only DO UPDATE refuses to touch a row twice),
    // and RETURNING names only the rows this statement inserted: those, and only those, are
    // added to the chart counts in the same statement, so an outcome is counted exactly once.
    const { rows } = await this.pool.query<{ job_id: string; finished_at: Date }>(
      RECORD_EVENTS_STATEMENT,
      [
        events.map((event) => event.jobId),
        events.map((event) => event.type),
        events.map((event) => event.userId),
        events.map((event) => event.success),
        events.map((event) => new Date(event.finishedAt).toISOString()),
        // The column is integer; a worker's fractional timing must not fail the insert.
        events.map((event) => (event.durationMs === null ? null : Math.round(event.durationMs))),
        events.map((event) => event.error),
        this.minuteMs,
      ],
    );
    const inserted = new Set(rows.map((row) => outcomeKey(row.job_id, row.finished_at.getTime())));
    return events.filter((event) => inserted.delete(outcomeKey(event.jobId, event.finishedAt)));
  }

  recent(limit: number): Promise<Readonly<Record<SyncType, readonly SyncEvent[]>>> {
    return unreachableAs(UNREADABLE, () => this.readRecent(limit));
  }

  private async readRecent(
    limit: number,
  ): Promise<Readonly<Record<SyncType, readonly SyncEvent[]>>> {
    const { rows } = await this.pool.query<EventRow>(
      newestPerTypeStatement(
        'system.sync_events',
        'finished_at',
        'job_id, sync_type, user_id, success, finished_at, duration_ms, error',
      ),
      [SYNC_TYPES, Math.max(0, Math.floor(limit))],
    );
    return byType(rows, toEvent);
  }

  async recordDecisions(decisions: readonly TickDecision[]): Promise<void> {
    if (decisions.length === 0) return;
    // One statement for the tick's few rows (at most one per class): all of them counted,
    // all but `released` also kept as decisions.
    await this.pool.query(RECORD_DECISIONS_STATEMENT, [
      decisions.map((decision) => decision.type),
      decisions.map((decision) => new Date(decision.at).toISOString()),
      decisions.map((decision) => decision.class),
      decisions.map((decision) => decision.count),
      this.minuteMs,
    ]);
  }

  recentDecisions(limit: number): Promise<Readonly<Record<SyncType, readonly TickDecision[]>>> {
    return unreachableAs(UNREADABLE, () => this.readRecentDecisions(limit));
  }

  private async readRecentDecisions(
    limit: number,
  ): Promise<Readonly<Record<SyncType, readonly TickDecision[]>>> {
    const { rows } = await this.pool.query<DecisionRow>(
      newestPerTypeStatement(
        'system.sync_decisions',
        'decided_at',
        'sync_type, decided_at, class, count',
      ),
      [SYNC_TYPES, Math.max(0, Math.floor(limit))],
    );
    return byType(rows, (row, type) => ({
      type,
      at: row.decided_at.getTime(),
      class: row.class,
      count: row.count,
    }));
  }

  chartSlots(type: SyncType, from: number, to: number, slotMs: number): Promise<ChartSlots> {
    const count = slotCount(from, to, slotMs);
    return unreachableAs(UNREADABLE, async () => {
      const { rows } = await this.pool.query<ChartRow>(CHART_STATEMENT, [
        type,
        from,
        slotMs,
        count,
      ]);
      const slots: ChartSlot[] = rows.map((row) => ({
        start: from + row.i * slotMs,
        released: Number(row.released),
        deduplicated: Number(row.deduplicated),
        skippedBreaker: Number(row.skipped_breaker),
        skippedWindow: Number(row.skipped_window),
        deferredBudget: Number(row.deferred_budget),
        completed: Number(row.completed),
        failed: Number(row.failed),
      }));
      return { slots, historyFrom: historyFrom(from, this.now() - this.maxAgeMs) };
    });
  }

  agentOutcomes(userId: string, limit: number): Promise<readonly SyncEvent[]> {
    return unreachableAs(UNREADABLE, async () => {
      // No index on user_id: retention keeps the table to a few thousand rows between prunes,
      // and an index would cost the history writer on every insert.
      const { rows } = await this.pool.query<EventRow>(
        `select job_id, sync_type, user_id, success, finished_at, duration_ms, error
         from system.sync_events
         where user_id = $1
         order by finished_at desc, id desc
         limit $2`,
        [userId, Math.max(0, Math.floor(limit))],
      );
      return rows.flatMap((row) =>
        isSyncType(row.sync_type) ? [toEvent(row, row.sync_type)] : [],
      );
    });
  }

  async prune(): Promise<number> {
    const cutoff = this.now() - this.maxAgeMs;
    const bounds = [this.maxPerType, new Date(cutoff)];
    const [events, decisions, counts] = await Promise.all([
      this.pool.query(pruneStatement('system.sync_events', 'finished_at'), bounds),
      this.pool.query(pruneStatement('system.sync_decisions', 'decided_at'), bounds),
      // Only minutes that ended by the cutoff: the one it falls in is still wholly counted, so
      // historyFrom (the cutoff) stays true.
      this.pool.query('delete from system.sync_counts where bucket <= $1', [
        new Date(cutoff - this.minuteMs),
      ]),
    ]);
    return (events.rowCount ?? 0) + (decisions.rowCount ?? 0) + (counts.rowCount ?? 0);
  }
}

/** The newest `$2` rows of each type in `$1`: a lateral subquery per type walks its index. */
const newestPerTypeStatement = (table: string, time: string, columns: string): string =>
  `select ${columns
    .split(', ')
    .map((column) => `r.${column}`)
    .join(', ')}
   from unnest($1::text[]) as t(sync_type)
   cross join lateral (
     select * from ${table} s
     where s.sync_type = t.sync_type
     order by s.${time} desc, s.id desc
     limit $2
   ) r
   order by r.sync_type, r.${time} desc, r.id desc`;

/** Rows (newest first) grouped by sync type; rows of an unknown type are dropped. */
function byType<Row extends { sync_type: string }, T>(
  rows: readonly Row[],
  map: (row: Row, type: SyncType) => T,
): Record<SyncType, T[]> {
  const grouped = Object.fromEntries(SYNC_TYPES.map((type) => [type, [] as T[]])) as Record<
    SyncType,
    T[]
  >;
  for (const row of rows) {
    if (isSyncType(row.sync_type)) grouped[row.sync_type].push(map(row, row.sync_type));
  }
  return grouped;
}

/** The bucket holding timestamptz `time`: the start of its scheduler minute ($ms ms). */
const bucketOf = (time: string, ms: string): string =>
  `date_bin(${ms}::bigint * interval '1 millisecond', ${time}, timestamptz 'epoch')`;

/*
 * Adds to a bucket's count. The rows to add go in sorted by key (`order by 1, 2, 3`), so that
 * two statements adding to the same buckets (a handover's two writers; a tick and a release
 * pass of one type) lock them in the same order and cannot deadlock.
 */
const ADD_COUNTS = `on conflict (sync_type, bucket, class)
  do update set count = system.sync_counts.count + excluded.count`;

const RECORD_EVENTS_STATEMENT = `
  with inserted as (
    insert into system.sync_events
      (job_id, sync_type, user_id, success, finished_at, duration_ms, error)
    select * from unnest(
      $1::text[], $2::text[], $3::text[], $4::boolean[], $5::timestamptz[], $6::integer[],
      $7::text[]
    )
    on conflict (job_id, finished_at) do nothing
    returning job_id, sync_type, success, finished_at
  ),
  counted as (
    insert into system.sync_counts (sync_type, bucket, class, count)
    select sync_type, ${bucketOf('finished_at', '$8')},
           case when success then 'completed' else 'failed' end, count(*)
    from inserted
    group by 1, 2, 3
    order by 1, 2, 3
    ${ADD_COUNTS}
  )
  select job_id, finished_at from inserted`;

const RECORD_DECISIONS_STATEMENT = `
  with decision as (
    select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::integer[])
      as d(sync_type, decided_at, class, count)
  ),
  kept as (
    insert into system.sync_decisions (sync_type, decided_at, class, count)
    select sync_type, decided_at, class, count from decision where class <> 'released'
  )
  insert into system.sync_counts (sync_type, bucket, class, count)
  select sync_type, ${bucketOf('decided_at', '$5')}, class, sum(count)
  from decision
  group by 1, 2, 3
  order by 1, 2, 3
  ${ADD_COUNTS}`;

const SUMS = (
  [
    'released',
    'deduplicated',
    'skipped_breaker',
    'skipped_window',
    'deferred_budget',
    'completed',
    'failed',
  ] as const
)
  .map((name) => `coalesce(sum(c.count) filter (where c.class = '${name}'), 0) as ${name}`)
  .join(',\n           ');

/*
 * One statement: the slot numbers, left-joined on the type's buckets within the range grouped
 * by slot number (a range scan of the primary key). A bucket belongs to the slot its start
 * falls in, compared as exact epoch milliseconds (numeric).
 */
const CHART_STATEMENT = `
  with bounds as (
    select timestamptz 'epoch' + $2::bigint * interval '1 millisecond' as lo,
           timestamptz 'epoch' + ($2::bigint + $3::bigint * $4::integer) * interval '1 millisecond' as hi
  ),
  counted as (
    select floor((extract(epoch from c.bucket) * 1000 - $2::bigint) / $3::bigint)::integer as i,
           ${SUMS}
    from system.sync_counts c, bounds
    where c.sync_type = $1 and c.bucket >= bounds.lo and c.bucket < bounds.hi
    group by 1
  )
  select slot.i,
         coalesce(c.released, 0) as released,
         coalesce(c.deduplicated, 0) as deduplicated,
         coalesce(c.skipped_breaker, 0) as skipped_breaker,
         coalesce(c.skipped_window, 0) as skipped_window,
         coalesce(c.deferred_budget, 0) as deferred_budget,
         coalesce(c.completed, 0) as completed,
         coalesce(c.failed, 0) as failed
  from generate_series(0, $4::integer - 1) as slot(i)
  left join counted c on c.i = slot.i
  order by slot.i`;

/** Keeps the newest $1 rows of each type, none older than $2. Both tables have the same shape. */
const pruneStatement = (table: string, time: string): string =>
  `delete from ${table}
   where ${time} < $2
      or id in (
        select id from (
          select id, row_number() over (
            partition by sync_type order by ${time} desc, id desc
          ) as rank
          from ${table}
        ) ranked
        where rank > $1
      )`;

const outcomeKey = (jobId: string, finishedAt: number): string => `${finishedAt} ${jobId}`;

function toEvent(row: EventRow, type: SyncType): SyncEvent {
  return {
    jobId: row.job_id,
    type,
    userId: row.user_id,
    success: row.success,
    finishedAt: row.finished_at.getTime(),
    durationMs: row.duration_ms,
    error: row.error,
  };
}
