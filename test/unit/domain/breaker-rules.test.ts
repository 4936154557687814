import { describe, expect, it } from 'vitest';
import {
  applyErpOutcomes,
  applyPairOutcome,
  emptyPair,
  erpDecision,
  pairDecision,
  resetPair,
  startErpProbe,
  startPairProbe,
} from '../../../src/domain/breaker-rules.js';
import {
  CLOSED_ERP_BREAKER,
  DEFAULT_ERP_BREAKER_RULES,
  DEFAULT_PAIR_BREAKER_RULES,
  type ErpBreakerState,
  type PairOutcome,
  type PairState,
} from '../../../src/domain/breakers.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;
const rules = DEFAULT_PAIR_BREAKER_RULES;
const erpRules = DEFAULT_ERP_BREAKER_RULES;

const failure = (at: number, reason = 'ERP answered 503'): PairOutcome => ({
  type: 'orders',
  userId: 'a-1',
  success: false,
  at,
  reason,
});
const success = (at: number): PairOutcome => ({
  type: 'orders',
  userId: 'a-1',
  success: true,
  at,
  reason: null,
});

/** Applies the outcomes in order, from `state` (nothing known by default). */
const fold = (outcomes: readonly PairOutcome[], state?: PairState): PairState | undefined =>
  outcomes.reduce<PairState | undefined>((s, o) => applyPairOutcome(s, o, rules), state);
const failuresAt = (...times: number[]): PairState =>
  fold(times.map((at) => failure(at))) as PairState;

describe('applyPairOutcome', () => {
  describe('a success', () => {
    it('records when it completed on a pair never seen before, closed and without failures', () => {
      expect(applyPairOutcome(undefined, success(T0), rules)).toEqual({
        ...emptyPair('orders', 'a-1'),
        lastCompletedAt: T0,
      });
    });

    it('resets the streak but keeps the window of failures while closed', () => {
      const state = fold([success(T0 + 3 * MIN)], failuresAt(T0, T0 + MIN));
      expect(state).toMatchObject({
        consecutiveFailures: 0,
        recentFailures: [T0, T0 + MIN],
        breaker: 'closed',
        lastFailedAt: T0 + MIN,
        lastFailureReason: 'ERP answered 503',
        lastCompletedAt: T0 + 3 * MIN,
      });
    });

    it("closes a half-open breaker (the probe's success) and clears its counts", () => {
      const open = failuresAt(T0, T0 + MIN, T0 + 2 * MIN);
      const probing = startPairProbe(open);
      expect(applyPairOutcome(probing, success(T0 + 3 * HOUR), rules)).toMatchObject({
        breaker: 'closed',
        openUntil: null,
        openPeriodMs: null,
        consecutiveFailures: 0,
        recentFailures: [],
        lastCompletedAt: T0 + 3 * HOUR,
      });
    });

    it('closes an open breaker too (a job sent before it opened came back fine)', () => {
      const open = failuresAt(T0, T0 + MIN, T0 + 2 * MIN);
      expect(applyPairOutcome(open, success(T0 + 3 * MIN), rules)).toMatchObject({
        breaker: 'closed',
        openUntil: null,
        consecutiveFailures: 0,
      });
    });

    it('changes nothing when older than the newest known outcome', () => {
      const open = failuresAt(T0, T0 + MIN, T0 + 2 * MIN);
      expect(applyPairOutcome(open, success(T0 + 30_000), rules)).toBe(open);
    });
  });

  describe('a failure', () => {
    it('records when and why, and counts one in the streak and in the window', () => {
      expect(applyPairOutcome(undefined, failure(T0, 'ERP timed out'), rules)).toEqual({
        ...emptyPair('orders', 'a-1'),
        lastFailedAt: T0,
        lastFailureReason: 'ERP timed out',
        consecutiveFailures: 1,
        recentFailures: [T0],
      });
    });

    it('keeps at most 500 characters of the reason (whole code points)', () => {
      const long = '😀'.repeat(600);
      const reason = applyPairOutcome(undefined, failure(T0, long), rules).lastFailureReason;
      expect([...(reason ?? '')]).toHaveLength(500);
      expect(
        applyPairOutcome(undefined, failure(T0, 'x'.repeat(501)), rules).lastFailureReason,
      ).toHaveLength(500);
    });

    it('keeps a missing reason as null', () => {
      expect(
        applyPairOutcome(undefined, { ...failure(T0), reason: null }, rules).lastFailureReason,
      ).toBeNull();
    });

    it('stays closed below both thresholds', () => {
      expect(failuresAt(T0, T0 + MIN)).toMatchObject({
        breaker: 'closed',
        openUntil: null,
        consecutiveFailures: 2,
      });
    });

    it('opens for 2 h at the third consecutive failure, from that failure', () => {
      expect(failuresAt(T0, T0 + MIN, T0 + 2 * MIN)).toMatchObject({
        breaker: 'open',
        openUntil: T0 + 2 * MIN + 2 * HOUR,
        openPeriodMs: 2 * HOUR,
        consecutiveFailures: 3,
      });
    });

    it('opens for 24 h at the sixth failure within 24 h, even with successes between them', () => {
      const flapping = [0, 1, 2, 3, 4, 5].flatMap((i) => [
        failure(T0 + i * HOUR),
        success(T0 + i * HOUR + MIN),
      ]);
      const state = fold(flapping.slice(0, -1)); // ends on the sixth failure
      expect(state).toMatchObject({
        breaker: 'open',
        consecutiveFailures: 1,
        openUntil: T0 + 5 * HOUR + 24 * HOUR,
        openPeriodMs: 24 * HOUR,
      });
      expect(state?.recentFailures).toHaveLength(6);
    });

    it('forgets failures older than the window', () => {
      const flapping = [0, 5, 10, 15, 20, 25].flatMap((h) => [
        failure(T0 + h * HOUR),
        success(T0 + h * HOUR + MIN),
      ]);
      const state = fold(flapping.slice(0, -1));
      expect(state).toMatchObject({
        breaker: 'closed',
        recentFailures: [5, 10, 15, 20, 25].map((h) => T0 + h * HOUR),
      });
    });

    it('lets the longer period win when both rules open it at once', () => {
      const state = fold(
        [failure(T0), success(T0 + 1), failure(T0 + 2), success(T0 + 3), failure(T0 + 4)].concat(
          [5, 6].map((at) => failure(T0 + at)),
        ),
      );
      // 5 failures, 3 consecutive: opened for 2 h at the 5th...
      expect(state).toMatchObject({ breaker: 'open', openUntil: T0 + 6 + 2 * HOUR });
      // ...and the 6th within the window extends it to 24 h.
      expect(applyPairOutcome(state, failure(T0 + 7), rules)).toMatchObject({
        breaker: 'open',
        openUntil: T0 + 7 + 24 * HOUR,
        openPeriodMs: 24 * HOUR,
        consecutiveFailures: 4,
      });
    });

    it('does not shorten an open period with a later, shorter rule', () => {
      const open = fold([...[0, 1, 2, 3, 4, 5].map((i) => failure(T0 + i))]) as PairState;
      expect(open.openUntil).toBe(T0 + 5 + 24 * HOUR);
      const later = applyPairOutcome(open, failure(T0 + HOUR), rules);
      expect(later.openUntil).toBe(T0 + HOUR + 24 * HOUR); // window rule again, from the newest
      expect(later.consecutiveFailures).toBe(7);
    });

    it('keeps an open breaker open until openUntil when a failure adds nothing longer', () => {
      const open = failuresAt(T0, T0 + MIN, T0 + 2 * MIN);
      const custom = { ...rules, consecutiveOpenMs: 10 * HOUR };
      const state = applyPairOutcome(
        { ...open, openUntil: T0 + 20 * HOUR },
        failure(T0 + 3 * MIN),
        custom,
      );
      expect(state.openUntil).toBe(T0 + 20 * HOUR);
    });

    it('re-opens a half-open breaker for the 2 h that opened it when the probe fails', () => {
      const probing = startPairProbe(failuresAt(T0, T0 + MIN, T0 + 2 * MIN));
      const probeFailedAt = T0 + 2 * HOUR + 3 * MIN;
      expect(applyPairOutcome(probing, failure(probeFailedAt, 'still down'), rules)).toMatchObject({
        breaker: 'open',
        openUntil: probeFailedAt + 2 * HOUR,
        openPeriodMs: 2 * HOUR,
        consecutiveFailures: 4,
        lastFailureReason: 'still down',
      });
    });

    it('re-opens for 24 h when the window rule opened it, though those failures left the window', () => {
      const open = failuresAt(...[0, 1, 2, 3, 4, 5].map((i) => T0 + i));
      const probeFailedAt = T0 + 25 * HOUR;
      const state = applyPairOutcome(startPairProbe(open), failure(probeFailedAt), rules);
      expect(state.recentFailures).toEqual([probeFailedAt]);
      expect(state).toMatchObject({ breaker: 'open', openUntil: probeFailedAt + 24 * HOUR });
    });

    it('recomputes the period from the rules when the state does not say it', () => {
      const { openPeriodMs: _dropped, ...probing } = startPairProbe(failuresAt(T0, T0 + 1, T0 + 2));
      expect(applyPairOutcome(probing, failure(T0 + 3 * HOUR), rules).openUntil).toBe(
        T0 + 5 * HOUR,
      );
    });

    it('counts a late failure without moving the last failure or its reason back', () => {
      const state = fold([failure(T0 + 10 * MIN, 'newest'), failure(T0 + MIN, 'late')]);
      expect(state).toMatchObject({
        lastFailedAt: T0 + 10 * MIN,
        lastFailureReason: 'newest',
        consecutiveFailures: 2,
        recentFailures: [T0 + MIN, T0 + 10 * MIN],
      });
    });

    it('counts a late failure in the window but not in the streak when a success is newer', () => {
      const state = fold([failure(T0), success(T0 + 10 * MIN), failure(T0 + MIN)]);
      expect(state).toMatchObject({
        lastCompletedAt: T0 + 10 * MIN,
        lastFailedAt: T0,
        consecutiveFailures: 0,
        recentFailures: [T0, T0 + MIN],
      });
    });

    it('lets late failures open the breaker', () => {
      const state = fold([failure(T0 + 10 * MIN), failure(T0 + MIN), failure(T0 + 2 * MIN)]);
      expect(state).toMatchObject({ breaker: 'open', openUntil: T0 + 2 * MIN + 2 * HOUR });
    });

    it('ignores a late failure older than the window', () => {
      const state = fold([failure(T0 + 25 * HOUR), failure(T0)]);
      expect(state?.recentFailures).toEqual([T0 + 25 * HOUR]);
    });
  });

  it('follows custom rules', () => {
    const custom = { ...rules, consecutiveFailures: 1, consecutiveOpenMs: 5 * MIN };
    expect(applyPairOutcome(undefined, failure(T0), custom)).toMatchObject({
      breaker: 'open',
      openUntil: T0 + 5 * MIN,
    });
  });
});

describe('pairDecision', () => {
  const open = failuresAt(T0, T0 + 1, T0 + 2);

  it('sends a pair never seen, and a closed one', () => {
    expect(pairDecision(undefined, T0)).toBe('send');
    expect(pairDecision(failuresAt(T0), T0)).toBe('send');
  });

  it('skips an open pair until openUntil, then sends it as the probe', () => {
    expect(pairDecision(open, T0 + 2 + 2 * HOUR - 1)).toBe('skip');
    expect(pairDecision(open, T0 + 2 + 2 * HOUR)).toBe('probe');
    expect(pairDecision(open, T0 + 30 * HOUR)).toBe('probe');
  });

  it('skips a half-open pair: its probe is out', () => {
    expect(pairDecision(startPairProbe(open), T0 + 30 * HOUR)).toBe('skip');
  });
});

describe('startPairProbe', () => {
  it('turns only an open breaker half open', () => {
    const closed = failuresAt(T0);
    expect(startPairProbe(closed)).toBe(closed);
    const probing = startPairProbe(failuresAt(T0, T0 + 1, T0 + 2));
    expect(probing.breaker).toBe('half_open');
    expect(startPairProbe(probing)).toBe(probing);
  });
});

describe('resetPair', () => {
  it('closes the breaker and clears the counts, keeping what happened', () => {
    const open = failuresAt(T0, T0 + 1, T0 + 2);
    expect(resetPair(open)).toEqual({
      ...open,
      breaker: 'closed',
      openUntil: null,
      openPeriodMs: null,
      consecutiveFailures: 0,
      recentFailures: [],
    });
  });
});

/** `count` outcomes one ms apart from `at`, the last `failed` of them failures. */
const outcomes = (count: number, failed: number, at = T0): { at: number; success: boolean }[] =>
  Array.from({ length: count }, (_, i) => ({ at: at + i, success: i < count - failed }));

describe('applyErpOutcomes', () => {
  const NOW = T0 + MIN;

  it('keeps real outcomes in the window, newest last, without opening below the threshold', () => {
    const state = applyErpOutcomes(CLOSED_ERP_BREAKER, outcomes(30, 14), NOW, erpRules);
    expect(state.state).toBe('closed');
    expect(state.window).toHaveLength(30);
    expect(state.window.at(-1)).toEqual({ at: T0 + 29, success: false });
  });

  it('opens at half the outcomes failed, for the cool down from now', () => {
    const state = applyErpOutcomes(CLOSED_ERP_BREAKER, outcomes(40, 20), NOW, erpRules);
    expect(state).toMatchObject({
      state: 'open',
      since: NOW,
      openUntil: NOW + 5 * MIN,
      probe: null,
    });
  });

  it('never opens with fewer than minOutcomes, even if all failed', () => {
    const state = applyErpOutcomes(CLOSED_ERP_BREAKER, outcomes(19, 19), NOW, erpRules);
    expect(state.state).toBe('closed');
    expect(applyErpOutcomes(state, outcomes(1, 1, T0 + 100), NOW, erpRules).state).toBe('open');
  });

  it('counts only the newest windowSize outcomes', () => {
    // 60 failures, then 100 successes: the failures left the window.
    const old = [...outcomes(60, 60), ...outcomes(100, 0, T0 + 1_000)];
    const state = applyErpOutcomes(CLOSED_ERP_BREAKER, old, T0 + 2_000, {
      ...erpRules,
      minOutcomes: 200, // judge only at the end
    });
    expect(state.window).toHaveLength(100);
    expect(applyErpOutcomes(state, outcomes(1, 1, T0 + 1_500), T0 + 2_000, erpRules).state).toBe(
      'closed',
    );
  });

  it('counts only outcomes within windowMs of now', () => {
    const stale = applyErpOutcomes(CLOSED_ERP_BREAKER, outcomes(30, 30), T0 + 11 * MIN, erpRules);
    expect(stale).toMatchObject({ state: 'closed', window: [] });
  });

  it('adds outcomes to the window while open, and stays open', () => {
    const open = applyErpOutcomes(CLOSED_ERP_BREAKER, outcomes(20, 20), NOW, erpRules);
    const later = applyErpOutcomes(open, outcomes(50, 0, T0 + 100), NOW + MIN, erpRules);
    expect(later).toMatchObject({ state: 'open', openUntil: NOW + 5 * MIN });
    expect(later.window).toHaveLength(70);
  });

  describe('half open', () => {
    const probing = (sent = 5): ErpBreakerState =>
      startErpProbe(
        applyErpOutcomes(CLOSED_ERP_BREAKER, outcomes(20, 20), NOW, erpRules),
        NOW + 5 * MIN,
        sent,
        erpRules,
      );
    const at = NOW + 6 * MIN;

    it('closes, with the window cleared, once most of the probe succeeded', () => {
      const two = applyErpOutcomes(probing(), outcomes(2, 0, at), at, erpRules);
      expect(two).toMatchObject({
        state: 'half_open',
        probe: { sent: 5, succeeded: 2, failed: 0 },
      });
      expect(applyErpOutcomes(two, outcomes(1, 0, at + 5), at + 5, erpRules)).toEqual({
        state: 'closed',
        since: at + 5,
        openUntil: null,
        window: [],
        probe: null,
      });
    });

    it('opens again for the cool down once most of the probe cannot succeed', () => {
      const state = applyErpOutcomes(probing(), outcomes(3, 3, at), at, erpRules);
      expect(state).toMatchObject({
        state: 'open',
        since: at,
        openUntil: at + 5 * MIN,
        probe: null,
      });
    });

    it('decides an even probe at half failed', () => {
      expect(applyErpOutcomes(probing(4), outcomes(2, 2, at), at, erpRules).state).toBe('open');
      const mixed = applyErpOutcomes(probing(4), outcomes(4, 1, at), at, erpRules);
      expect(mixed.state).toBe('closed');
    });

    it('applies outcomes after the decision to the new state', () => {
      // 3 successes close it; the 4 failures after them join a fresh window, too few to open.
      const batch = [...outcomes(3, 0, at), ...outcomes(4, 4, at + 10)];
      const state = applyErpOutcomes(probing(), batch, at + 20, erpRules);
      expect(state.state).toBe('closed');
      expect(state.window).toHaveLength(4);
    });
  });
});

describe('erpDecision and startErpProbe', () => {
  const NOW = T0 + MIN;
  const open = applyErpOutcomes(CLOSED_ERP_BREAKER, outcomes(20, 20), NOW, erpRules);

  it('enqueues everything while closed', () => {
    expect(erpDecision(CLOSED_ERP_BREAKER, NOW)).toBe('all');
  });

  it('enqueues nothing while open, then a probe once the cool down is over', () => {
    expect(erpDecision(open, NOW + 5 * MIN - 1)).toBe('none');
    expect(erpDecision(open, NOW + 5 * MIN)).toBe('probe');
  });

  it('starts one probe: half open, counting from zero, and nothing more while it is out', () => {
    const probing = startErpProbe(open, NOW + 5 * MIN, 5, erpRules);
    expect(probing).toMatchObject({
      state: 'half_open',
      since: NOW + 5 * MIN,
      openUntil: NOW + 10 * MIN,
      probe: { sent: 5, succeeded: 0, failed: 0 },
    });
    expect(erpDecision(probing, NOW + 6 * MIN)).toBe('none');
    expect(startErpProbe(probing, NOW + 6 * MIN, 5, erpRules)).toBe(probing);
  });

  it('sends another probe when the first never reported back within the cool down', () => {
    const probing = startErpProbe(open, NOW + 5 * MIN, 5, erpRules);
    expect(erpDecision(probing, NOW + 10 * MIN)).toBe('probe');
    expect(startErpProbe(probing, NOW + 10 * MIN, 5, erpRules).probe).toEqual({
      sent: 5,
      succeeded: 0,
      failed: 0,
    });
  });

  it('changes nothing when no probe is due', () => {
    expect(startErpProbe(CLOSED_ERP_BREAKER, NOW, 5)).toBe(CLOSED_ERP_BREAKER);
    expect(startErpProbe(open, NOW, 5)).toBe(open);
  });
});
