import type { TierMultipliers } from '../activity.js';
import type { AuditEntry } from './audit-log.js';
import type { Intervals } from '../interval.js';
import type { SyncType } from '../sync-types.js';
import type { WorkingWindow } from '../working-hours.js';

export interface TypeSettings extends TierMultipliers {
  readonly intervalMinutes: number;
  /** false = paused: no ticks for this type until resumed. */
  readonly enabled: boolean;
  /** Working hours; null = always. */
  readonly window: WorkingWindow | null;
}

/** A change to a type's interval and tier multipliers; absent fields keep their value. */
export interface TypeSettingsPatch {
  readonly intervalMinutes?: number;
  readonly idleMultiplier?: number;
  readonly offlineMultiplier?: number;
}

/** The operator's desired state, shared by every replica, as of one committed version. */
export interface SyncSettings {
  /**
   * Grows with every committed change, in commit order: a snapshot with a higher version
   * contains every change of a lower one. Replicas apply only newer snapshots.
   */
  readonly version: number;
  /** Auto-sync on or off; a fresh install is on. */
  readonly running: boolean;
  readonly types: Readonly<Record<SyncType, TypeSettings>>;
}

/**
 * Where the desired state is kept. Every change resolves with the whole state as it was
 * committed by that change (its version included), read in the same transaction, so the
 * caller can apply exactly what it wrote without a second read that could fail.
 * Rejects with an `unavailable` SchedulerError when the store is unreachable; anything else
 * it rejects with is a bug.
 *
 * Given an `audit` entry, a save also writes it to the audit trail with the values before and
 * after, in the same transaction as the change: both are stored, or neither.
 */
export interface SettingsStore {
  loadSettings(): Promise<SyncSettings>;
  loadIntervals(): Promise<Intervals>;
  /** Durable once the promise resolves; `minutes` is already validated. */
  saveInterval(type: SyncType, minutes: number, audit?: AuditEntry): Promise<SyncSettings>;
  /** Interval and multipliers in one transaction; every field present is already validated. */
  saveTypeSettings(
    type: SyncType,
    patch: TypeSettingsPatch,
    audit?: AuditEntry,
  ): Promise<SyncSettings>;
  /** Sets (or with null clears) a type's working hours; `window` is already validated. */
  saveWindow(
    type: SyncType,
    window: WorkingWindow | null,
    audit?: AuditEntry,
  ): Promise<SyncSettings>;
  saveEnabled(type: SyncType, enabled: boolean, audit?: AuditEntry): Promise<SyncSettings>;
  saveRunning(running: boolean, audit?: AuditEntry): Promise<SyncSettings>;
}

export const SETTINGS_STORE = Symbol.for('sync-scheduler/SettingsStore');
