import type { BreakerState, ErpBreakerState, PairState } from '../../domain/breakers.js';
import { BREAKER_STATES, CLOSED_ERP_BREAKER } from '../../domain/breakers.js';
import { isSyncType } from '../../domain/sync-types.js';

/** The columns of a pair, with recent_failures as epoch ms (oldest first). */
export const PAIR_COLUMNS = `
  sync_type, user_id, last_enqueued_at, last_started_at, last_completed_at, last_failed_at,
  last_failure_reason, consecutive_failures,
  array(
    select round(extract(epoch from f) * 1000)::float8
    from unnest(recent_failures) with ordinality as u(f, n) order by n
  ) as recent_failures,
  breaker_state, open_until, open_period_ms`;

export interface PairRow {
  sync_type: string;
  user_id: string;
  last_enqueued_at: Date | null;
  last_started_at: Date | null;
  last_completed_at: Date | null;
  last_failed_at: Date | null;
  last_failure_reason: string | null;
  consecutive_failures: number;
  recent_failures: number[];
  breaker_state: string;
  open_until: Date | null;
  open_period_ms: string | null;
}

const ms = (date: Date | null): number | null => (date === null ? null : date.getTime());
export const iso = (at: number | null): string | null =>
  at === null ? null : new Date(at).toISOString();

const asBreaker = (state: string): BreakerState =>
  (BREAKER_STATES as readonly string[]).includes(state) ? (state as BreakerState) : 'closed';

/** null for a row of a type this version does not know (the check constraint forbids it). */
export function toPair(row: PairRow): PairState | null {
  if (!isSyncType(row.sync_type)) return null;
  return {
    type: row.sync_type,
    userId: row.user_id,
    lastEnqueuedAt: ms(row.last_enqueued_at),
    lastStartedAt: ms(row.last_started_at),
    lastCompletedAt: ms(row.last_completed_at),
    lastFailedAt: ms(row.last_failed_at),
    lastFailureReason: row.last_failure_reason,
    consecutiveFailures: row.consecutive_failures,
    recentFailures: row.recent_failures,
    breaker: asBreaker(row.breaker_state),
    openUntil: ms(row.open_until),
    openPeriodMs: row.open_period_ms === null ? null : Number(row.open_period_ms),
  };
}

/** A timestamptz[] literal, so that one text[] parameter can carry an array per row. */
export const timestampArray = (times: readonly number[]): string =>
  `{${times.map((at) => `"${new Date(at).toISOString()}"`).join(',')}}`;

export interface ErpRow {
  state: string;
  since: Date | null;
  open_until: Date | null;
  window: { at: number; success: boolean }[];
  probe: { sent: number; succeeded: number; failed: number } | null;
}

export const ERP_COLUMNS = `state, since, open_until, "window", probe`;

export const toErp = (row: ErpRow | undefined): ErpBreakerState =>
  row
    ? {
        state: asBreaker(row.state),
        since: ms(row.since),
        openUntil: ms(row.open_until),
        window: row.window,
        probe: row.probe,
      }
    : CLOSED_ERP_BREAKER;

/** The parameters of SAVE_ERP. */
export const erpParameters = (erp: ErpBreakerState): unknown[] => [
  erp.state,
  iso(erp.since),
  iso(erp.openUntil),
  JSON.stringify(erp.window),
  erp.probe === null ? null : JSON.stringify(erp.probe),
];

export const SAVE_ERP = `
  insert into system.erp_breaker as b (id, state, since, open_until, "window", probe, updated_at)
  values (true, $1, $2, $3, $4::jsonb, $5::jsonb, now())
  on conflict (id) do update set
    state = excluded.state, since = excluded.since, open_until = excluded.open_until,
    "window" = excluded."window", probe = excluded.probe, updated_at = now()`;
