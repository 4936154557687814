import { DEFAULT_TIER_MULTIPLIERS } from './activity.js';
import { DEFAULT_INTERVALS, type Intervals } from './interval.js';
import type { SyncSettings, TypeSettings } from './ports/settings-store.js';
import { SYNC_TYPES, type SyncType } from './sync-types.js';

export const intervalsOf = (settings: SyncSettings): Intervals =>
  Object.fromEntries(SYNC_TYPES.map((t) => [t, settings.types[t].intervalMinutes])) as Intervals;

export const enabledOf = (settings: SyncSettings): Record<SyncType, boolean> =>
  Object.fromEntries(SYNC_TYPES.map((t) => [t, settings.types[t].enabled])) as Record<
    SyncType,
    boolean
  >;

/** Whether `next` is a newer committed state than `current` (none yet: any is newer). */
export const isNewer = (next: SyncSettings, current: SyncSettings | undefined): boolean =>
  current === undefined || next.version > current.version;

/** A type as a fresh install has it: default interval and multipliers, enabled, no window. */
export const defaultTypeSettings = (type: SyncType): TypeSettings => ({
  intervalMinutes: DEFAULT_INTERVALS[type],
  enabled: true,
  ...DEFAULT_TIER_MULTIPLIERS,
  window: null,
});
