import { DEFAULT_INTERVALS, type Intervals } from '../../domain/interval.js';
import type { SettingsStore } from '../../domain/ports/settings-store.js';
import type { SyncType } from '../../domain/sync-types.js';

export class InMemorySettingsStore implements SettingsStore {
  private intervals: Record<SyncType, number>;
  private failure: Error | null = null;

  constructor(initial: Intervals = DEFAULT_INTERVALS) {
    this.intervals = { ...initial };
  }

  async loadIntervals(): Promise<Intervals> {
    if (this.failure) throw this.failure;
    return { ...this.intervals };
  }

  async saveInterval(type: SyncType, minutes: number): Promise<void> {
    if (this.failure) throw this.failure;
    this.intervals[type] = minutes;
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }
}
