import type { AuditContext } from '../domain/ports/audit-log.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import { auditEntry } from './audit-entry.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';
import { validateWorkingWindow, type WorkingWindow } from '../domain/working-hours.js';
import type { SchedulingService } from './scheduling-service.js';

export interface SetWorkingWindowCommand {
  readonly type: unknown;
  /** Checked at the HTTP edge, and again here by the domain's rule before anything is stored. */
  readonly window: unknown;
  readonly audit?: AuditContext;
}

export interface TypeWindow {
  readonly type: SyncType;
  readonly window: WorkingWindow | null;
}

/**
 * Sets one type's working hours (agent and shared types alike): stored for every replica,
 * then the committed state applied, and the answer read from that state.
 */
export class SetWorkingWindow {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(command: SetWorkingWindowCommand): Promise<TypeWindow> {
    const type = parseSyncType(command.type);
    const window = validateWorkingWindow(command.window);
    const audit = auditEntry(command.audit, 'window.set', type);
    const stored = await this.settings.saveWindow(type, window, audit);
    this.scheduler.apply(stored);
    return { type, window: stored.types[type].window };
  }
}
