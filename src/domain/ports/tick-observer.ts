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
  readonly durationMs: number;
}

export interface TickFenced {
  readonly type: SyncType;
  /** 'fire': the lease had passed when the timer fired; 'chunk': the queue refused a chunk. */
  readonly at: 'fire' | 'chunk';
  /** Jobs not sent (0 at 'fire': none were built). */
  readonly jobs: number;
}

export type TickStage = 'agentLookup' | 'breakers' | 'enqueue';

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
  /** The run log could not be read or written; the phase may not survive a restart. */
  runLogFailed?(error: unknown): void;
}

export const TICK_OBSERVER = Symbol.for('sync-scheduler/TickObserver');
