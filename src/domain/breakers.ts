import type { SyncType } from './sync-types.js';

/** A circuit breaker's state: closed (enqueue), open (do not), half_open (one probe out). */
export type BreakerState = 'closed' | 'open' | 'half_open';

export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

/** The reason kept with a failure, at most this long. */
export const FAILURE_REASON_MAX = 500;

/** What the service knows of one (type, agent) pair; shared types use `service-account`. */
export interface PairState {
  readonly type: SyncType;
  readonly userId: string;
  readonly lastEnqueuedAt: number | null;
  readonly lastStartedAt: number | null;
  readonly lastCompletedAt: number | null;
  readonly lastFailedAt: number | null;
  /** Truncated to FAILURE_REASON_MAX characters. */
  readonly lastFailureReason: string | null;
  readonly consecutiveFailures: number;
  /** Epoch ms of each failure within the rolling window (24 h by default), oldest first. */
  readonly recentFailures: readonly number[];
  readonly breaker: BreakerState;
  /** While open: when the next tick may send one probe. */
  readonly openUntil: number | null;
  /**
   * How long the breaker was opened for (the rule that opened it), so that a failed probe
   * opens it again for the same period. Absent or null while closed; absent in older callers'
   * fixtures, where the rules recompute it.
   */
  readonly openPeriodMs?: number | null;
}

/** One final outcome of one job, as the history writer reads it. */
export interface PairOutcome {
  readonly type: SyncType;
  readonly userId: string;
  readonly success: boolean;
  /** Epoch ms when the job finished. */
  readonly at: number;
  readonly reason: string | null;
}

export interface PairBreakerRules {
  /** Consecutive failures that open the breaker (default 3)... */
  readonly consecutiveFailures: number;
  /** ...for this long (default 2 h). */
  readonly consecutiveOpenMs: number;
  /** Failures within `windowMs` that open it (default 6 in 24 h)... */
  readonly windowFailures: number;
  readonly windowMs: number;
  /** ...for this long (default 24 h). */
  readonly windowOpenMs: number;
}

export const DEFAULT_PAIR_BREAKER_RULES: PairBreakerRules = {
  consecutiveFailures: 3,
  consecutiveOpenMs: 2 * 3_600_000,
  windowFailures: 6,
  windowMs: 24 * 3_600_000,
  windowOpenMs: 24 * 3_600_000,
};

export interface ErpBreakerRules {
  /** The newest outcomes considered (default 100), within `windowMs` (default 10 min). */
  readonly windowSize: number;
  readonly windowMs: number;
  /** Fewer outcomes than this never open it (default 20). */
  readonly minOutcomes: number;
  /** Failed share that opens it (default 0.5). */
  readonly failureRatio: number;
  /** Open this long before a probe (default 5 min). */
  readonly coolDownMs: number;
  /** Agents in a probe batch (default 5). */
  readonly probeSize: number;
}

export const DEFAULT_ERP_BREAKER_RULES: ErpBreakerRules = {
  windowSize: 100,
  windowMs: 10 * 60_000,
  minOutcomes: 20,
  failureRatio: 0.5,
  coolDownMs: 5 * 60_000,
  probeSize: 5,
};

/** The fleet-wide breaker: one for every type and agent. */
export interface ErpBreakerState {
  readonly state: BreakerState;
  /** Since when it is in `state`. */
  readonly since: number | null;
  /** While open: when the next tick may send a probe batch. */
  readonly openUntil: number | null;
  /** Newest last, at most `windowSize`, only real outcomes (not skips). */
  readonly window: readonly { readonly at: number; readonly success: boolean }[];
  /** While half open: the probe's outcomes so far, and how many were sent. */
  readonly probe: {
    readonly sent: number;
    readonly succeeded: number;
    readonly failed: number;
  } | null;
}

export const CLOSED_ERP_BREAKER: ErpBreakerState = {
  state: 'closed',
  since: null,
  openUntil: null,
  window: [],
  probe: null,
};

/** Inversify tokens of the rules, bound by the composition root from the environment. */
export const PAIR_BREAKER_RULES = Symbol.for('sync-scheduler/PairBreakerRules');
export const ERP_BREAKER_RULES = Symbol.for('sync-scheduler/ErpBreakerRules');
