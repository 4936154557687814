import { unavailable } from '../domain/errors.js';
import type { Intervals } from '../domain/interval.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import type { Scheduler } from '../domain/scheduler.js';

export interface AutoSyncState {
  readonly running: boolean;
  readonly intervals: Intervals;
}

/** Stores "running" for every replica, then starts with the saved settings. Idempotent. */
export class StartAutoSync {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly settings: SettingsStore,
  ) {}

  async execute(): Promise<AutoSyncState> {
    await saveRunning(this.settings, true);
    await this.scheduler.start();
    return {
      running: this.scheduler.isRunning(),
      intervals: this.scheduler.getDetailedIntervals(),
    };
  }
}

export async function saveRunning(settings: SettingsStore, running: boolean): Promise<void> {
  try {
    await settings.saveRunning(running);
  } catch (error) {
    throw unavailable(
      'Auto-sync state could not be saved: the settings store is unreachable.',
      error,
    );
  }
}
