import type { TypeSettings } from '../domain/ports/settings-store.js';
import { SYNC_TYPES, type SyncType } from '../domain/sync-types.js';
import type { SchedulingService } from './scheduling-service.js';

/**
 * Every type's settings in force (interval, flag, multipliers, window), as this replica has
 * applied them; like GetIntervals, the scheduler mirrors the store after every change.
 */
export class GetTypeSettings {
  constructor(private readonly scheduler: SchedulingService) {}

  async execute(): Promise<Readonly<Record<SyncType, TypeSettings>>> {
    this.scheduler.assertSettingsLoaded();
    return Object.fromEntries(
      SYNC_TYPES.map((type) => [type, this.scheduler.settingsOf(type)]),
    ) as Record<SyncType, TypeSettings>;
  }
}
