import type { Cancel } from './clock.js';

/**
 * Tells a replica that the desired state changed somewhere (any replica, or by hand in the
 * database). Delivery is best effort: a resync on a timer covers lost notifications.
 */
export interface SettingsFeed {
  /** `listener` runs after each change; the returned function unsubscribes. */
  subscribe(listener: () => void): Cancel;
}

export const SETTINGS_FEED = Symbol.for('sync-scheduler/SettingsFeed');
