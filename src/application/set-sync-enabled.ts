import type { Scheduler } from '../domain/scheduler.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';

export interface SetSyncEnabledCommand {
  readonly type: unknown;
  readonly enabled: boolean;
}

/** Pauses or resumes one type: stored for every replica, then applied. */
export class SetSyncEnabled {
  constructor(private readonly scheduler: Scheduler) {}

  async execute(command: SetSyncEnabledCommand): Promise<{ type: SyncType; enabled: boolean }> {
    const type = parseSyncType(command.type);
    await this.scheduler.setEnabled(type, command.enabled);
    return { type, enabled: command.enabled };
  }
}
