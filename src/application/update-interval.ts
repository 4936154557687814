import { validateIntervalMinutes } from '../domain/interval.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';
import type { SchedulingService } from './scheduling-service.js';

export interface UpdateIntervalCommand {
  readonly type: unknown;
  readonly intervalMinutes: unknown;
}

/**
 * Validates, stores, then applies the committed state: only that type's timer is replaced.
 * Throws invalidInput or unavailable; nothing half-applied.
 */
export class UpdateInterval {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(
    command: UpdateIntervalCommand,
  ): Promise<{ type: SyncType; intervalMinutes: number }> {
    const type = parseSyncType(command.type);
    const minutes = validateIntervalMinutes(command.intervalMinutes);
    const stored = await this.settings.saveInterval(type, minutes);
    this.scheduler.apply(stored);
    return { type, intervalMinutes: stored.types[type].intervalMinutes };
  }
}
