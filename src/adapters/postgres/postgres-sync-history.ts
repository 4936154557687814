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
  /** Events older than this go whatever their count (default 7). */
  readonly maxAgeDays?: number;
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

interface ChartRow {
  i: number;
  released: number;
  deduplicated: number;
  skipped_breaker: number;
  skipped_window: number;
  deferred_budget: number;
  completed: number;
  failed: number;
  events_from: Date | null;
  decisions_from: Date | null;
}

const DAY_MS = 86_400_000;
const UNREADABLE = 'The sync history could not be read: the database is unreachable.';

@injectable()
export class PostgresSyncHistory implements SyncHistory {
  private readonly maxPerType: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    @inject(PG_POOL) private readonly pool: Pool,
    // Optional: without a binding the defaults apply.
    @inject(SYNC_HISTORY_RETENTION) @optional() retention: SyncHistoryRetention = {},
  ) {
    this.maxPerType = retention.maxPerType ?? 500;
    this.maxAgeMs = (retention.maxAgeDays ?? 7) * DAY_MS;
    this.now = retention.now ?? Date.now;
  }

  async record(event: SyncEvent): Promise<void> {
    await this.recordMany([event]);
  }

  async recordMany(events: readonly SyncEvent[]): Promise<readonly SyncEvent[]> {
    if (events.length === 0) return [];
    // One statement whatever the batch size: seven arrays, one parse, one plan. DO NOTHING
    // also skips a duplicate inside the batch (only DO UPDATE refuses to touch a row twice),
    // and RETURNING names only the rows this statement inserted.
    const { rows } = await this.pool.query<{ job_id: string; finished_at: Date }>(
      `insert into system.sync_events
         (job_id, sync_type, user_id, success, finished_at, duration_ms, error)
       select * from unnest(
         $1::text[], $2::text[], $3::text[], $4::boolean[], $5::timestamptz[], $6::integer[],
         $7::text[]
       )
       on conflict (job_id, finished_at) do nothing
       returning job_id, finished_at`,
      [
        events.map((event) => event.jobId),
        events.map((event) => event.type),
        events.map((event) => event.userId),
        events.map((event) => event.success),
        events.map((event) => new Date(event.finishedAt).toISOString()),
        // The column is integer; a worker's fractional timing must not fail the insert.
        events.map((event) => (event.durationMs === null ? null : Math.round(event.durationMs))),
        events.map((event) => event.error),
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
    // One statement for the tick's few rows (at most one per class).
    await this.pool.query(
      `insert into system.sync_decisions (sync_type, decided_at, class, count)
       select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::integer[])`,
      [
        decisions.map((decision) => decision.type),
        decisions.map((decision) => new Date(decision.at).toISOString()),
        decisions.map((decision) => decision.class),
        decisions.map((decision) => decision.count),
      ],
    );
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
        this.maxPerType,
      ]);
      const slots: ChartSlot[] = rows.map((row) => ({
        start: from + row.i * slotMs,
        released: row.released,
        deduplicated: row.deduplicated,
        skippedBreaker: row.skipped_breaker,
        skippedWindow: row.skipped_window,
        deferredBudget: row.deferred_budget,
        completed: row.completed,
        failed: row.failed,
      }));
      const first = rows[0];
      const horizons = [first?.events_from, first?.decisions_from].map((at) => at?.getTime());
      return { slots, historyFrom: historyFrom(from, this.now() - this.maxAgeMs, horizons) };
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
    const bounds = [this.maxPerType, new Date(this.now() - this.maxAgeMs)];
    const [events, decisions] = await Promise.all([
      this.pool.query(pruneStatement('system.sync_events', 'finished_at'), bounds),
      this.pool.query(pruneStatement('system.sync_decisions', 'decided_at'), bounds),
    ]);
    return (events.rowCount ?? 0) + (decisions.rowCount ?? 0);
  }
}

/** Keeps the newest $1 rows of each type, none older than $2. Both tables have the same shape. */
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

const DECISION_SUMS = (
  ['released', 'deduplicated', 'skipped_breaker', 'skipped_window', 'deferred_budget'] as const
)
  .map((name) => `coalesce(sum(d.count) filter (where d.class = '${name}'), 0)::integer as ${name}`)
  .join(',\n           ');

/*
 * One statement: the slot numbers, each table's rows of the type within the range grouped by
 * slot number (each a range scan of its (sync_type, time) index), left-joined on them; times
 * are compared as exact epoch milliseconds (numeric), so a row at a slot's start is in that
 * slot. `horizon`: per table, when the type holds at least $5 rows (its $5-th newest exists,
 * found by walking $5 index entries), the oldest it keeps.
 */
const CHART_STATEMENT = `
  with bounds as (
    select timestamptz 'epoch' + $2::bigint * interval '1 millisecond' as lo,
           timestamptz 'epoch' + ($2::bigint + $3::bigint * $4::integer) * interval '1 millisecond' as hi
  ),
  outcome as (
    select floor((extract(epoch from e.finished_at) * 1000 - $2::bigint) / $3::bigint)::integer as i,
           count(*) filter (where e.success)::integer as completed,
           count(*) filter (where not e.success)::integer as failed
    from system.sync_events e, bounds
    where e.sync_type = $1 and e.finished_at >= bounds.lo and e.finished_at < bounds.hi
    group by 1
  ),
  decision as (
    select floor((extract(epoch from d.decided_at) * 1000 - $2::bigint) / $3::bigint)::integer as i,
           ${DECISION_SUMS}
    from system.sync_decisions d, bounds
    where d.sync_type = $1 and d.decided_at >= bounds.lo and d.decided_at < bounds.hi
    group by 1
  ),
  horizon as (
    select
      case when exists (
        select 1 from system.sync_events where sync_type = $1
        order by finished_at desc, id desc offset $5::integer - 1 limit 1
      ) then (select min(finished_at) from system.sync_events where sync_type = $1) end
        as events_from,
      case when exists (
        select 1 from system.sync_decisions where sync_type = $1
        order by decided_at desc, id desc offset $5::integer - 1 limit 1
      ) then (select min(decided_at) from system.sync_decisions where sync_type = $1) end
        as decisions_from
  )
  select slot.i,
         coalesce(d.released, 0) as released,
         coalesce(d.deduplicated, 0) as deduplicated,
         coalesce(d.skipped_breaker, 0) as skipped_breaker,
         coalesce(d.skipped_window, 0) as skipped_window,
         coalesce(d.deferred_budget, 0) as deferred_budget,
         coalesce(o.completed, 0) as completed,
         coalesce(o.failed, 0) as failed,
         horizon.events_from,
         horizon.decisions_from
  from generate_series(0, $4::integer - 1) as slot(i)
  cross join horizon
  left join outcome o on o.i = slot.i
  left join decision d on d.i = slot.i
  order by slot.i`;

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
