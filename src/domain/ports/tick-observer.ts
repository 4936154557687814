import type { SyncType } from '../sync-types.js';

export interface TickReport {
  readonly type: SyncType;
  readonly agents: number;
  readonly added: number;
  readonly deduplicated: number;
  /** Jobs an open breaker (the pair's or the ERP's) held back: `skipped_breaker`. */
  readonly skippedBreaker?: number;
  /** Jobs the fence refused (the lease had passed): not sent, not retried. */
  readonly fenced: number;
  /** Jobs waiting for the release budget after this tick: `deferred_budget`. */
  readonly deferredBudget?: number;
  /** Jobs not sent because the type's working hours are closed: `skipped_window`. */
  readonly skippedWindow?: number;
  /** Idle or offline agents whose turn this tick was not (their tier's multiplier). */
  readonly notDueTier?: number;
  readonly durationMs: number;
}

/** One pass of the budget's release loop, per type it released or held. */
export interface ReleaseReport {
  readonly type: SyncType;
  readonly added: number;
  readonly deduplicated: number;
  /** Due pairs held back by the budget for the first time in this pass. */
  readonly deferred: number;
  /** Pairs of this type still waiting after the pass. */
  readonly waiting: number;
}

/** Time the budget needs to release a type's whole fleet, over its interval. */
export interface BudgetCycle {
  readonly type: SyncType;
  readonly ratio: number;
  /** The ratio crossed 1 (either way) since the last report: worth one log line. */
  readonly changed: boolean;
}

export interface TickFenced {
  readonly type: SyncType;
  /**
   * 'fire': the lease had passed when the timer fired; 'chunk': the queue refused a chunk;
   * 'release': the budget's release loop was refused.
   */
  readonly at: 'fire' | 'chunk' | 'release';
  /** Jobs not sent (0 at 'fire': none were built). */
  readonly jobs: number;
}

export type TickStage = 'agentLookup' | 'breakers' | 'enqueue' | 'release';

export interface TickFailure {
  readonly type: SyncType;
  readonly stage: TickStage;
  readonly error: unknown;
  readonly durationMs: number;
}

/** Learns what each tick did: logs and metrics live behind it. Must not throw. */
export interface TickObserver {
  tickCompleted(report: TickReport): void;
  tickFailed(failure: TickFailure): void;
  /** The previous tick of this type was still in flight, so this one did nothing. */
  tickSkipped(type: SyncType): void;
  /** This replica's lease no longer held: the tick (or the rest of it) was not sent. */
  tickFenced?(fenced: TickFenced): void;
  /** The breaker state could not be read: the tick sent every job. */
  breakerReadFailed?(failure: { readonly type: SyncType; readonly error: unknown }): void;
  /** Last enqueued or the probes could not be recorded. */
  agentStateFailed?(error: unknown): void;
  /** A tick's decisions (deduplicated, skipped by a breaker) could not be recorded. */
  decisionsFailed?(error: unknown): void;
  /** The budget's release loop let some jobs out (or held them). */
  released?(report: ReleaseReport): void;
  /** The budget's counts could not be read or the release failed; the next pass retries. */
  releaseFailed?(error: unknown): void;
  /** After each tick under a budget: can the budget release the fleet within one interval? */
  budgetCycle?(cycle: BudgetCycle): void;
  /** The run log could not be read or written; the phase may not survive a restart. */
  runLogFailed?(error: unknown): void;
}

export const TICK_OBSERVER = Symbol.for('sync-scheduler/TickObserver');
