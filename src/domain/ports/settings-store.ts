import type { Intervals } from '../interval.js';
import type { SyncType } from '../sync-types.js';

export interface TypeSettings {
  readonly intervalMinutes: number;
  /** false = paused: no ticks for this type until resumed. */
  readonly enabled: boolean;
}

/** The operator's desired state, shared by every replica. */
export interface SyncSettings {
  /** Auto-sync on or off; a fresh install is on. */
  readonly running: boolean;
  readonly types: Readonly<Record<SyncType, TypeSettings>>;
}

/** Where the desired state is kept. Every method rejects when the store is unreachable. */
export interface SettingsStore {
  loadSettings(): Promise<SyncSettings>;
  loadIntervals(): Promise<Intervals>;
  /** Durable once the promise resolves; `minutes` is already validated. */
  saveInterval(type: SyncType, minutes: number): Promise<void>;
  saveEnabled(type: SyncType, enabled: boolean): Promise<void>;
  saveRunning(running: boolean): Promise<void>;
}

export const SETTINGS_STORE = Symbol.for('sync-scheduler/SettingsStore');
