import { intervalsOf } from '../domain/desired-state.js';
import type { Intervals } from '../domain/interval.js';
import type { AuditContext } from '../domain/ports/audit-log.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import type { SchedulingService } from './scheduling-service.js';
import { auditEntry } from './audit-entry.js';

export interface AutoSyncState {
  readonly running: boolean;
  readonly intervals: Intervals;
}

/**
 * Stores "running" for every replica and applies what it stored (at least that version)
 * before answering. The answer comes from the committed state itself: once it is stored,
 * nothing can turn the reply into a 503. Idempotent.
 */
export class StartAutoSync {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(command: { readonly audit?: AuditContext } = {}): Promise<AutoSyncState> {
    const audit = auditEntry(command.audit, 'auto-sync.start', null);
    const stored = await this.settings.saveRunning(true, audit);
    this.scheduler.apply(stored);
    return { running: stored.running, intervals: intervalsOf(stored) };
  }
}
