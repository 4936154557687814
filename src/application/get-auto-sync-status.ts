import type { Scheduler } from '../domain/scheduler.js';
import type { AutoSyncState } from './start-auto-sync.js';

export class GetAutoSyncStatus {
  constructor(private readonly scheduler: Scheduler) {}

  async execute(): Promise<AutoSyncState> {
    return {
      running: this.scheduler.isRunning(),
      intervals: this.scheduler.getDetailedIntervals(),
    };
  }
}
