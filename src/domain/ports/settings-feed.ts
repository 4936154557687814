import type { Cancel } from './clock.js';

/**
 * Tells a replica that the desired state changed somewhere (any replica, or by hand in the
 * database). Delivery is best effort: a resync on a timer covers lost notifications.
 */
export interface SettingsFeed {
  /**
   * `listener` runs after each change with the version it committed, or with no version when
   * changes may have been missed (after a reconnect). The returned function unsubscribes.
   */
  subscribe(listener: (version?: number) => void): Cancel;
  /** Resolves once notifications are being received: a change committed after it is heard. */
  ready(): Promise<void>;
}

export const SETTINGS_FEED = Symbol.for('sync-scheduler/SettingsFeed');
