import type { SchedulingService } from './scheduling-service.js';
import type { SyncType } from '../domain/sync-types.js';
import type { AutoSyncState } from './start-auto-sync.js';

export interface AutoSyncStatus extends AutoSyncState {
  /** false = paused: that type does not tick until resumed. */
  readonly enabled: Readonly<Record<SyncType, boolean>>;
}

export class GetAutoSyncStatus {
  constructor(private readonly scheduler: SchedulingService) {}

  async execute(): Promise<AutoSyncStatus> {
    return {
      running: this.scheduler.isRunning(),
      intervals: this.scheduler.getDetailedIntervals(),
      enabled: this.scheduler.getEnabled(),
    };
  }
}
