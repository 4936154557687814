import type { Scheduler } from '../domain/scheduler.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';

export interface UpdateIntervalCommand {
  readonly type: unknown;
  readonly intervalMinutes: unknown;
}

/** Validates, stores, then applies. Throws invalidInput or unavailable; nothing half-applied. */
export class UpdateInterval {
  constructor(private readonly scheduler: Scheduler) {}

  async execute(
    command: UpdateIntervalCommand,
  ): Promise<{ type: SyncType; intervalMinutes: number }> {
    const type = parseSyncType(command.type);
    const intervalMinutes = await this.scheduler.updateInterval(type, command.intervalMinutes);
    return { type, intervalMinutes };
  }
}
