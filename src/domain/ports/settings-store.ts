import type { Intervals } from '../interval.js';
import type { SyncType } from '../sync-types.js';

/** Where the operator's intervals are kept. Both methods reject when the store is unreachable. */
export interface SettingsStore {
  loadIntervals(): Promise<Intervals>;
  /** Durable once the promise resolves; `minutes` is already validated. */
  saveInterval(type: SyncType, minutes: number): Promise<void>;
}

export const SETTINGS_STORE = Symbol.for('sync-scheduler/SettingsStore');
