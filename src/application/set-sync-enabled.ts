import type { AuditContext } from '../domain/ports/audit-log.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import { auditEntry } from './audit-entry.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';
import type { SchedulingService } from './scheduling-service.js';

export interface SetSyncEnabledCommand {
  readonly type: unknown;
  readonly enabled: boolean;
  readonly audit?: AuditContext;
}

/** Pauses or resumes one type: stored for every replica, then the committed state applied. */
export class SetSyncEnabled {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(command: SetSyncEnabledCommand): Promise<{ type: SyncType; enabled: boolean }> {
    const type = parseSyncType(command.type);
    const action = command.enabled ? 'sync.resume' : 'sync.pause';
    const audit = auditEntry(command.audit, action, type);
    const stored = await this.settings.saveEnabled(type, command.enabled, audit);
    this.scheduler.apply(stored);
    return { type, enabled: stored.types[type].enabled };
  }
}
