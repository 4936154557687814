import {
  DEFAULT_ERP_BREAKER_RULES,
  FAILURE_REASON_MAX,
  type ErpBreakerRules,
  type ErpBreakerState,
  type PairBreakerRules,
  type PairOutcome,
  type PairState,
} from './breakers.js';
import type { SyncType } from './sync-types.js';

/** A pair the service has never heard of: closed, nothing known. */
export function emptyPair(type: SyncType, userId: string): PairState {
  return {
    type,
    userId,
    lastEnqueuedAt: null,
    lastStartedAt: null,
    lastCompletedAt: null,
    lastFailedAt: null,
    lastFailureReason: null,
    consecutiveFailures: 0,
    recentFailures: [],
    breaker: 'closed',
    openUntil: null,
    openPeriodMs: null,
  };
}

export const truncateReason = (reason: string | null): string | null =>
  reason === null ? null : [...reason].slice(0, FAILURE_REASON_MAX).join('');

const latest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * One final outcome applied to a pair. An outcome older than the pair's newest known outcome
 * (a late event) never moves a "last" timestamp back: a late success changes nothing (newer
 * failures happened after it), a late failure still counts in the window, and in the streak
 * when the newest outcome is a failure too.
 */
export function applyPairOutcome(
  state: PairState | undefined,
  outcome: PairOutcome,
  rules: PairBreakerRules,
): PairState {
  const pair = state ?? emptyPair(outcome.type, outcome.userId);
  const newest = latest(pair.lastCompletedAt, pair.lastFailedAt);
  const late = newest !== null && outcome.at < newest;
  return outcome.success
    ? applySuccess(pair, outcome, late)
    : applyFailure(pair, outcome, late, rules);
}

function applySuccess(pair: PairState, outcome: PairOutcome, late: boolean): PairState {
  if (late) return pair;
  // A success while open or half open (the probe, or a job sent before it opened) is a
  // recovery: the breaker closes and forgets its failures. While closed, the window stays:
  // it is what catches a pair that flaps between success and failure.
  const recovering = pair.breaker !== 'closed';
  return {
    ...pair,
    lastCompletedAt: outcome.at,
    consecutiveFailures: 0,
    recentFailures: recovering ? [] : pair.recentFailures,
    breaker: 'closed',
    openUntil: null,
    openPeriodMs: null,
  };
}

function applyFailure(
  pair: PairState,
  outcome: PairOutcome,
  late: boolean,
  rules: PairBreakerRules,
): PairState {
  const reference = late
    ? (latest(pair.lastCompletedAt, pair.lastFailedAt) ?? outcome.at)
    : outcome.at;
  const windowStart = reference - rules.windowMs;
  const recentFailures = [...pair.recentFailures, outcome.at]
    .filter((at) => at > windowStart)
    .sort((a, b) => a - b);
  const inStreak = !late || (pair.lastFailedAt ?? -Infinity) >= (pair.lastCompletedAt ?? -Infinity);
  const consecutiveFailures = pair.consecutiveFailures + (inStreak ? 1 : 0);
  const failed: PairState = {
    ...pair,
    lastFailedAt: late ? pair.lastFailedAt : outcome.at,
    lastFailureReason: late ? pair.lastFailureReason : truncateReason(outcome.reason),
    consecutiveFailures,
    recentFailures,
  };
  const period = openingPeriod(consecutiveFailures, recentFailures.length, rules);
  if (pair.breaker === 'half_open') {
    // The probe failed: open again for the period that opened it.
    const again = pair.openPeriodMs ?? period ?? rules.consecutiveOpenMs;
    return { ...failed, breaker: 'open', openUntil: outcome.at + again, openPeriodMs: again };
  }
  if (period === null) return failed;
  const openUntil = outcome.at + period;
  if (pair.breaker === 'open' && (pair.openUntil ?? -Infinity) >= openUntil) return failed;
  return { ...failed, breaker: 'open', openUntil, openPeriodMs: period };
}

/** How long the rules open the breaker for these counts; the longer rule wins; null: stays closed. */
function openingPeriod(
  consecutive: number,
  inWindow: number,
  rules: PairBreakerRules,
): number | null {
  const periods = [
    consecutive >= rules.consecutiveFailures ? rules.consecutiveOpenMs : null,
    inWindow >= rules.windowFailures ? rules.windowOpenMs : null,
  ].filter((period): period is number => period !== null);
  return periods.length === 0 ? null : Math.max(...periods);
}

/** What a tick does with a pair: send it, send it as the probe, or skip it. */
export function pairDecision(state: PairState | undefined, now: number): 'send' | 'probe' | 'skip' {
  if (!state) return 'send';
  switch (state.breaker) {
    case 'open':
      return state.openUntil !== null && now < state.openUntil ? 'skip' : 'probe';
    case 'half_open':
      return 'skip'; // its probe is out
    case 'closed':
      return 'send';
  }
}

/** The tick sent this pair's probe. Only an open breaker turns half open. */
export const startPairProbe = (state: PairState): PairState =>
  state.breaker === 'open' ? { ...state, breaker: 'half_open' } : state;

/** An operator's reset: closed, failure counts cleared; what happened ("last ...") is kept. */
export const resetPair = (state: PairState): PairState => ({
  ...state,
  consecutiveFailures: 0,
  recentFailures: [],
  breaker: 'closed',
  openUntil: null,
  openPeriodMs: null,
});

type ErpOutcome = { readonly at: number; readonly success: boolean };

/**
 * Outcomes applied to the fleet-wide breaker, one at a time (a batch can close it and then see
 * more outcomes). Every outcome joins the window (newest `windowSize` within `windowMs` of
 * `now`); while half open, every outcome also counts for the probe.
 */
export function applyErpOutcomes(
  state: ErpBreakerState,
  outcomes: readonly ErpOutcome[],
  now: number,
  rules: ErpBreakerRules,
): ErpBreakerState {
  let current = state;
  for (const outcome of outcomes) current = applyErpOutcome(current, outcome, now, rules);
  return { ...current, window: trimWindow(current.window, now, rules) };
}

function applyErpOutcome(
  state: ErpBreakerState,
  outcome: ErpOutcome,
  now: number,
  rules: ErpBreakerRules,
): ErpBreakerState {
  const window = trimWindow(
    [...state.window, { at: outcome.at, success: outcome.success }],
    now,
    rules,
  );
  if (state.state === 'half_open' && state.probe) {
    const probe = {
      ...state.probe,
      succeeded: state.probe.succeeded + (outcome.success ? 1 : 0),
      failed: state.probe.failed + (outcome.success ? 0 : 1),
    };
    if (probe.succeeded > probe.sent / 2) {
      return { state: 'closed', since: now, openUntil: null, window: [], probe: null };
    }
    if (probe.failed >= probe.sent / 2) return openErp(window, now, rules);
    return { ...state, window, probe };
  }
  if (state.state === 'closed' && tripped(window, rules)) return openErp(window, now, rules);
  return { ...state, window };
}

const openErp = (
  window: ErpBreakerState['window'],
  now: number,
  rules: ErpBreakerRules,
): ErpBreakerState => ({
  state: 'open',
  since: now,
  openUntil: now + rules.coolDownMs,
  window,
  probe: null,
});

function tripped(window: readonly ErpOutcome[], rules: ErpBreakerRules): boolean {
  if (window.length < Math.max(1, rules.minOutcomes)) return false;
  const failed = window.filter((outcome) => !outcome.success).length;
  return failed / window.length >= rules.failureRatio;
}

/** Newest last (stable by time), only within `windowMs` of now, at most `windowSize`. */
function trimWindow(
  window: readonly ErpOutcome[],
  now: number,
  rules: ErpBreakerRules,
): ErpOutcome[] {
  const sorted = window.toSorted((a, b) => a.at - b.at);
  const recent = sorted.filter((outcome) => outcome.at >= now - rules.windowMs);
  return recent.slice(Math.max(0, recent.length - rules.windowSize));
}

/**
 * What agent-type and shared ticks do: enqueue everything, a probe batch, or nothing. A half-open
 * breaker whose probe never reported back by `openUntil` (its jobs lost or removed) is due
 * another probe, so the breaker can never stay half open for good.
 */
export function erpDecision(state: ErpBreakerState, now: number): 'all' | 'probe' | 'none' {
  if (state.state === 'closed') return 'all';
  return state.openUntil !== null && now < state.openUntil ? 'none' : 'probe';
}

/**
 * The tick sent a probe of `sent` jobs: half open, counting from zero, with `coolDownMs` for the
 * probe to report back. Unchanged (the same object) when no probe is due.
 */
export function startErpProbe(
  state: ErpBreakerState,
  now: number,
  sent: number,
  rules: ErpBreakerRules = DEFAULT_ERP_BREAKER_RULES,
): ErpBreakerState {
  if (erpDecision(state, now) !== 'probe') return state;
  return {
    ...state,
    state: 'half_open',
    since: now,
    openUntil: now + rules.coolDownMs,
    probe: { sent, succeeded: 0, failed: 0 },
  };
}
