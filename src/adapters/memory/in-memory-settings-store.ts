import { DEFAULT_INTERVALS, type Intervals } from '../../domain/interval.js';
import type { Cancel } from '../../domain/ports/clock.js';
import type { SettingsFeed } from '../../domain/ports/settings-feed.js';
import type { SettingsStore, SyncSettings } from '../../domain/ports/settings-store.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';

/** The desired state in memory; doubles as the feed that announces its own changes. */
export class InMemorySettingsStore implements SettingsStore, SettingsFeed {
  private readonly intervals: Record<SyncType, number>;
  private readonly enabled: Record<SyncType, boolean>;
  private running = true;
  private failure: Error | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(initial: Intervals = DEFAULT_INTERVALS) {
    this.intervals = { ...initial };
    this.enabled = Object.fromEntries(SYNC_TYPES.map((type) => [type, true])) as Record<
      SyncType,
      boolean
    >;
  }

  async loadSettings(): Promise<SyncSettings> {
    if (this.failure) throw this.failure;
    const types = Object.fromEntries(
      SYNC_TYPES.map((type) => [
        type,
        { intervalMinutes: this.intervals[type], enabled: this.enabled[type] },
      ]),
    ) as SyncSettings['types'];
    return { running: this.running, types };
  }

  async loadIntervals(): Promise<Intervals> {
    if (this.failure) throw this.failure;
    return { ...this.intervals };
  }

  async saveInterval(type: SyncType, minutes: number): Promise<void> {
    this.write(() => (this.intervals[type] = minutes));
  }

  async saveEnabled(type: SyncType, enabled: boolean): Promise<void> {
    this.write(() => (this.enabled[type] = enabled));
  }

  async saveRunning(running: boolean): Promise<void> {
    this.write(() => (this.running = running));
  }

  subscribe(listener: () => void): Cancel {
    // A wrapper per subscription, so subscribing the same function twice means two calls.
    const entry = (): void => listener();
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }

  private write(change: () => void): void {
    if (this.failure) throw this.failure;
    change();
    // Like the real feed, listeners run outside the writer's call stack (a listener that
    // reloads the settings must not re-enter a save), yet before the writer's `await` resumes.
    // A throwing listener surfaces as an uncaught error in tests instead of failing the save.
    for (const listener of this.listeners) queueMicrotask(listener);
  }
}
