import type { SyncType } from '../sync-types.js';

/** When each type last ticked, so the schedule's phase survives restarts and handovers. */
export interface RunLog {
  /** Epoch ms of each type's last tick; a type that never ran is absent. */
  loadLastRuns(): Promise<Partial<Record<SyncType, number>>>;
  recordRun(type: SyncType, at: number): Promise<void>;
}

export const RUN_LOG = Symbol.for('sync-scheduler/RunLog');
