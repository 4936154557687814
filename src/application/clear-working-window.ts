import type { AuditContext } from '../domain/ports/audit-log.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import { auditEntry } from './audit-entry.js';
import { parseSyncType } from '../domain/sync-types.js';
import type { SchedulingService } from './scheduling-service.js';
import type { TypeWindow } from './set-working-window.js';

/** Removes one type's working hours (it may sync at any hour again); idempotent. */
export class ClearWorkingWindow {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(command: {
    readonly type: unknown;
    readonly audit?: AuditContext;
  }): Promise<TypeWindow> {
    const type = parseSyncType(command.type);
    const audit = auditEntry(command.audit, 'window.clear', type);
    const stored = await this.settings.saveWindow(type, null, audit);
    this.scheduler.apply(stored);
    return { type, window: stored.types[type].window };
  }
}
