import { inject, injectable, optional } from 'inversify';
import type { Pool, PoolClient } from 'pg';
import {
  applyErpOutcomes,
  applyPairOutcome,
  pairDecision,
  startErpProbe,
} from '../../domain/breaker-rules.js';
import {
  DEFAULT_ERP_BREAKER_RULES,
  DEFAULT_PAIR_BREAKER_RULES,
  ERP_BREAKER_RULES,
  PAIR_BREAKER_RULES,
  type ErpBreakerRules,
  type ErpBreakerState,
  type PairBreakerRules,
  type PairOutcome,
  type PairState,
} from '../../domain/breakers.js';
import type {
  AgentListPage,
  AgentListQuery,
  AgentStateStore,
  OutcomesApplied,
} from '../../domain/ports/agent-state-store.js';
import type { AuditEntry } from '../../domain/ports/audit-log.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { decodeCursor, encodeCursor } from '../agent-state-cursor.js';
import { pageSize, staleSince } from '../agent-state-list.js';
import { unreachableAs } from '../unreachable.js';
import {
  ERP_COLUMNS,
  erpParameters,
  iso,
  PAIR_COLUMNS,
  SAVE_ERP,
  timestampArray,
  toErp,
  toPair,
  type ErpRow,
  type PairRow,
} from './agent-state-rows.js';
import { AUDIT_COLUMNS } from './audit-sql.js';
import { beforeDeadline, changeDeadline } from './pool.js';
import { PG_POOL } from './tokens.js';

const READ = 'The agent state could not be read: the database is unreachable.';
const WRITE = 'The agent state could not be written: the database is unreachable.';

/** What a reset does to a row, and which rows it changes. */
const RESET = `consecutive_failures = 0, recent_failures = '{}', breaker_state = 'closed',
  open_until = null, open_period_ms = null, updated_at = now()`;
const NEEDS_RESET = `(breaker_state <> 'closed' or consecutive_failures > 0
  or cardinality(recent_failures) > 0)`;
/** A row's breaker as the audit trail shows a reset (as the in-memory store does). */
const BREAKER_VIEW = `jsonb_build_object('breaker', breaker_state,
  'consecutiveFailures', consecutive_failures, 'recentFailures', cardinality(recent_failures))`;

const pairKey = (type: SyncType, userId: string): string => `${type}\u0000${userId}`;
const typeOrder = (pair: PairState): number => SYNC_TYPES.indexOf(pair.type);

/**
 * The agent state and both breakers in PostgreSQL (system.sync_agent_state, system.erp_breaker).
 * Every batch is one statement (unnest arrays), whatever its size; recordOutcomes is one
 * transaction that locks the batch's rows and the ERP row, folds the rules in TypeScript (the
 * same pure functions as everywhere else) and writes everything back.
 */
@injectable()
export class PostgresAgentStateStore implements AgentStateStore {
  constructor(
    @inject(PG_POOL) private readonly pool: Pool,
    // Optional: without a binding the defaults apply.
    @inject(PAIR_BREAKER_RULES)
    @optional()
    private readonly pairRules: PairBreakerRules = DEFAULT_PAIR_BREAKER_RULES,
    @inject(ERP_BREAKER_RULES)
    @optional()
    private readonly erpRules: ErpBreakerRules = DEFAULT_ERP_BREAKER_RULES,
  ) {}

  recordEnqueued(type: SyncType, userIds: readonly string[], at: number): Promise<void> {
    return unreachableAs(WRITE, async () => {
      if (userIds.length === 0) return;
      // Unique and sorted: ON CONFLICT DO UPDATE may not touch a row twice, and every writer
      // locking rows in (type, agent) order cannot deadlock with another.
      const ids = [...new Set(userIds)].sort();
      await this.pool.query(
        `insert into system.sync_agent_state as s (sync_type, user_id, last_enqueued_at)
         select $1, u, $3 from unnest($2::text[]) as u
         on conflict (sync_type, user_id) do update set
           last_enqueued_at = greatest(s.last_enqueued_at, excluded.last_enqueued_at),
           updated_at = now()`,
        [type, ids, iso(at)],
      );
    });
  }

  recordStarted(started: readonly { type: SyncType; userId: string; at: number }[]): Promise<void> {
    return unreachableAs(WRITE, async () => {
      const latest = new Map<string, { type: SyncType; userId: string; at: number }>();
      for (const entry of started) {
        const key = pairKey(entry.type, entry.userId);
        if ((latest.get(key)?.at ?? -Infinity) < entry.at) latest.set(key, entry);
      }
      if (latest.size === 0) return;
      const rows = [...latest.keys()].sort().map((key) => latest.get(key) as (typeof started)[0]);
      await this.pool.query(
        `insert into system.sync_agent_state as s (sync_type, user_id, last_started_at)
         select * from unnest($1::text[], $2::text[], $3::timestamptz[])
         on conflict (sync_type, user_id) do update set
           last_started_at = greatest(s.last_started_at, excluded.last_started_at),
           updated_at = now()`,
        [rows.map((r) => r.type), rows.map((r) => r.userId), rows.map((r) => iso(r.at))],
      );
    });
  }

  recordOutcomes(outcomes: readonly PairOutcome[], now: number): Promise<OutcomesApplied> {
    return unreachableAs(WRITE, () =>
      this.transaction(async (client) => {
        const before = await this.lockPairs(client, outcomes);
        const after = new Map(before);
        for (const outcome of outcomes) {
          const key = pairKey(outcome.type, outcome.userId);
          after.set(key, applyPairOutcome(after.get(key), outcome, this.pairRules));
        }
        const changed = [...after].filter(([key, pair]) => before.get(key) !== pair);
        await this.savePairs(
          client,
          changed.map(([, pair]) => pair),
        );
        const erpBefore = toErp(
          (
            await client.query<ErpRow>(
              `select ${ERP_COLUMNS} from system.erp_breaker where id for update`,
            )
          ).rows[0],
        );
        const erp = applyErpOutcomes(erpBefore, outcomes, now, this.erpRules);
        if (outcomes.length > 0) await client.query(SAVE_ERP, erpParameters(erp));
        return {
          pairsChanged: changed
            .filter(([key, pair]) => (before.get(key)?.breaker ?? 'closed') !== pair.breaker)
            .map(([, pair]) => pair),
          erp,
          erpChanged: erp.state !== erpBefore.state,
        };
      }),
    );
  }

  /** The batch's existing rows, locked in (type, agent) order, by key. */
  private async lockPairs(
    client: PoolClient,
    outcomes: readonly PairOutcome[],
  ): Promise<Map<string, PairState>> {
    const keys = [...new Set(outcomes.map((o) => pairKey(o.type, o.userId)))].sort();
    if (keys.length === 0) return new Map();
    const split = keys.map((key) => key.split('\u0000') as [string, string]);
    const { rows } = await client.query<PairRow>(
      `select ${PAIR_COLUMNS} from system.sync_agent_state s
       where (sync_type, user_id) in (select * from unnest($1::text[], $2::text[]))
       order by sync_type, user_id
       for update`,
      [split.map(([type]) => type), split.map(([, user]) => user)],
    );
    const pairs = rows.flatMap((row) => toPair(row) ?? []);
    return new Map(pairs.map((pair) => [pairKey(pair.type, pair.userId), pair]));
  }

  /** Writes the writer's columns of each pair; enqueued and started stay the ticks'. */
  private async savePairs(client: PoolClient, pairs: readonly PairState[]): Promise<void> {
    if (pairs.length === 0) return;
    const sorted = pairs.toSorted(
      (a, b) => typeOrder(a) - typeOrder(b) || (a.userId < b.userId ? -1 : 1),
    );
    await client.query(
      `insert into system.sync_agent_state as s
         (sync_type, user_id, last_completed_at, last_failed_at, last_failure_reason,
          consecutive_failures, recent_failures, breaker_state, open_until, open_period_ms)
       select t, u, c, f, r, n, rf::timestamptz[], b, o, p
       from unnest(
         $1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::integer[],
         $7::text[], $8::text[], $9::timestamptz[], $10::bigint[]
       ) as x(t, u, c, f, r, n, rf, b, o, p)
       on conflict (sync_type, user_id) do update set
         last_completed_at = excluded.last_completed_at,
         last_failed_at = excluded.last_failed_at,
         last_failure_reason = excluded.last_failure_reason,
         consecutive_failures = excluded.consecutive_failures,
         recent_failures = excluded.recent_failures,
         breaker_state = excluded.breaker_state,
         open_until = excluded.open_until,
         open_period_ms = excluded.open_period_ms,
         updated_at = now()`,
      [
        sorted.map((p) => p.type),
        sorted.map((p) => p.userId),
        sorted.map((p) => iso(p.lastCompletedAt)),
        sorted.map((p) => iso(p.lastFailedAt)),
        sorted.map((p) => p.lastFailureReason),
        sorted.map((p) => p.consecutiveFailures),
        sorted.map((p) => timestampArray(p.recentFailures)),
        sorted.map((p) => p.breaker),
        sorted.map((p) => iso(p.openUntil)),
        sorted.map((p) => p.openPeriodMs ?? null),
      ],
    );
  }

  blockedPairs(
    type: SyncType,
    now: number,
  ): Promise<{ readonly open: ReadonlySet<string>; readonly probe: ReadonlySet<string> }> {
    return unreachableAs(READ, async () => {
      const { rows } = await this.pool.query<PairRow>(
        `select ${PAIR_COLUMNS} from system.sync_agent_state
         where sync_type = $1 and breaker_state <> 'closed'`,
        [type],
      );
      const open = new Set<string>();
      const probe = new Set<string>();
      for (const pair of rows.flatMap((row) => toPair(row) ?? [])) {
        const decision = pairDecision(pair, now);
        if (decision === 'skip') open.add(pair.userId);
        if (decision === 'probe') probe.add(pair.userId);
      }
      return { open, probe };
    });
  }

  markProbing(type: SyncType, userIds: readonly string[]): Promise<void> {
    return unreachableAs(WRITE, async () => {
      if (userIds.length === 0) return;
      await this.pool.query(
        `update system.sync_agent_state set breaker_state = 'half_open', updated_at = now()
         where sync_type = $1 and user_id = any($2::text[]) and breaker_state = 'open'`,
        [type, [...userIds]],
      );
    });
  }

  lastSuccesses(type: SyncType): Promise<ReadonlyMap<string, number>> {
    return unreachableAs(READ, async () => {
      const { rows } = await this.pool.query<{ user_id: string; last_completed_at: Date }>(
        `select user_id, last_completed_at from system.sync_agent_state
         where sync_type = $1 and last_completed_at is not null`,
        [type],
      );
      return new Map(rows.map((row) => [row.user_id, row.last_completed_at.getTime()]));
    });
  }

  async list(query: AgentListQuery): Promise<AgentListPage> {
    const cutoff = staleSince(query); // refuses a bad query before any round trip
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const limit = pageSize(query.limit);
    return unreachableAs(READ, async () => {
      const where: string[] = [];
      const values: unknown[] = [];
      const param = (value: unknown): string => `$${values.push(value)}`;
      if (query.type !== undefined) where.push(`sync_type = ${param(query.type)}`);
      if (cutoff) {
        const cutoffs = Object.fromEntries(
          SYNC_TYPES.map((type) => [type, iso(cutoff({ type } as PairState))]),
        );
        where.push(
          `(last_completed_at is null or last_completed_at < (${param(JSON.stringify(cutoffs))}::jsonb ->> sync_type)::timestamptz)`,
        );
      } else if (query.state !== undefined) {
        where.push(`breaker_state = ${param(query.state)}`);
      }
      if (after) {
        const rest = `(sync_type, user_id) > (${param(after.type)}, ${param(after.userId)})`;
        if (after.lastFailedAt === null) {
          where.push(`(last_failed_at is null and ${rest})`);
        } else {
          const at = param(iso(after.lastFailedAt));
          where.push(
            `(last_failed_at < ${at} or (last_failed_at = ${at} and ${rest}) or last_failed_at is null)`,
          );
        }
      }
      const { rows } = await this.pool.query<PairRow>(
        `select ${PAIR_COLUMNS} from system.sync_agent_state
         ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
         order by last_failed_at desc nulls last, sync_type, user_id
         limit ${param(limit + 1)}`,
        values,
      );
      const items = rows.slice(0, limit).flatMap((row) => toPair(row) ?? []);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    });
  }

  agent(userId: string): Promise<readonly PairState[]> {
    return unreachableAs(READ, async () => {
      const { rows } = await this.pool.query<PairRow>(
        `select ${PAIR_COLUMNS} from system.sync_agent_state where user_id = $1`,
        [userId],
      );
      return rows.flatMap((row) => toPair(row) ?? []).sort((a, b) => typeOrder(a) - typeOrder(b));
    });
  }

  reset(userId: string, audit?: AuditEntry): Promise<number> {
    return unreachableAs(WRITE, async () => {
      // Like every admin change: one that reaches the server after the client gave up on it
      // (a partition healing) changes nothing, so the 503 it got stays true.
      const inTime = beforeDeadline(changeDeadline(this.pool));
      if (!audit) {
        const { rowCount } = await this.pool.query(
          `update system.sync_agent_state set ${RESET}
           where user_id = $1 and ${NEEDS_RESET} and ${inTime}`,
          [userId],
        );
        return rowCount ?? 0;
      }
      // One statement, one transaction: the rows as the statement's snapshot has them (it does
      // not see its own update; no FOR UPDATE, which would skip rows this statement updates),
      // the update, and the audit row with both, only for an agent that has rows. A history
      // write committing in between is re-checked by the update, so "before" may trail it by
      // that one outcome; "after" is always exact.
      const { rows } = await this.pool.query<{ reset: number }>(
        `with live as (select ${inTime} as ok),
         old as (
           select sync_type, ${BREAKER_VIEW} as v from system.sync_agent_state
           where user_id = $1 and ${NEEDS_RESET}
         ),
         changed as (
           update system.sync_agent_state set ${RESET}
           where user_id = $1 and ${NEEDS_RESET} and (select ok from live)
           returning sync_type, ${BREAKER_VIEW} as v
         ),
         audited as (
           insert into system.audit_log (${AUDIT_COLUMNS})
           select $2, $3, $4, $1,
             (select coalesce(jsonb_object_agg(sync_type, v), '{}') from old),
             (select coalesce(jsonb_object_agg(sync_type, v), '{}') from changed), $5
           where exists (select from system.sync_agent_state where user_id = $1)
             and (select ok from live)
         )
         select count(*)::int as reset from changed`,
        [userId, audit.actor, audit.role, audit.action, audit.requestId],
      );
      return rows[0]?.reset ?? 0;
    });
  }

  openCounts(): Promise<Readonly<Record<SyncType, number>>> {
    return unreachableAs(READ, async () => {
      const { rows } = await this.pool.query<{ sync_type: string; n: number }>(
        `select sync_type, count(*)::int as n from system.sync_agent_state
         where breaker_state <> 'closed' group by sync_type`,
      );
      const counts = Object.fromEntries(SYNC_TYPES.map((type) => [type, 0]));
      for (const row of rows) if (row.sync_type in counts) counts[row.sync_type] = row.n;
      return counts as Record<SyncType, number>;
    });
  }

  loadErpBreaker(): Promise<ErpBreakerState> {
    return unreachableAs(READ, async () => {
      const { rows } = await this.pool.query<ErpRow>(
        `select ${ERP_COLUMNS} from system.erp_breaker where id`,
      );
      return toErp(rows[0]);
    });
  }

  startErpProbe(now: number, sent: number): Promise<boolean> {
    return unreachableAs(WRITE, () =>
      this.transaction(async (client) => {
        // The row lock makes two racing ticks take turns: the second sees it half open.
        const { rows } = await client.query<ErpRow>(
          `select ${ERP_COLUMNS} from system.erp_breaker where id for update`,
        );
        const current = toErp(rows[0]);
        const next = startErpProbe(current, now, sent, this.erpRules);
        if (next === current) return false;
        await client.query(SAVE_ERP, erpParameters(next));
        return true;
      }),
    );
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // pg-pool listens for a client's 'error' only while it is idle; a connection that dies
    // while checked out would otherwise be an unhandled 'error' event, a crash
    // (test/integration/postgres-connection-lost.test.ts). The failed query rejects anyway.
    const onError = (error: Error): void => void (broken ??= error);
    client.on('error', onError);
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: unknown) => {
        broken = rollbackError as Error; // a connection that cannot roll back is not reused
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
