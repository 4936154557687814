import type { AuditContext } from '../domain/ports/audit-log.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import { auditEntry } from './audit-entry.js';
import type { SchedulingService } from './scheduling-service.js';

/** Stores "stopped" (it survives restarts), then applies it: every timer cleared. Idempotent. */
export class StopAutoSync {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(command: { readonly audit?: AuditContext } = {}): Promise<{ running: false }> {
    const audit = auditEntry(command.audit, 'auto-sync.stop', null);
    this.scheduler.apply(await this.settings.saveRunning(false, audit));
    return { running: false };
  }
}
