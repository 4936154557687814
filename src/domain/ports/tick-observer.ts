import type { SyncType } from '../sync-types.js';

export interface TickReport {
  readonly type: SyncType;
  readonly agents: number;
  readonly added: number;
  readonly deduplicated: number;
  readonly durationMs: number;
}

export type TickStage = 'agentLookup' | 'enqueue';

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
  /** The run log could not be read or written; the phase may not survive a restart. */
  runLogFailed?(error: unknown): void;
}

export const TICK_OBSERVER = Symbol.for('sync-scheduler/TickObserver');
