import { validateIntervalMinutes } from '../domain/interval.js';
import { invalidInput } from '../domain/errors.js';
import type { AuditContext } from '../domain/ports/audit-log.js';
import type { SettingsStore, TypeSettingsPatch } from '../domain/ports/settings-store.js';
import { auditEntry } from './audit-entry.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';
import { validateMultiplier } from '../domain/tier-multipliers.js';
import type { SchedulingService } from './scheduling-service.js';

/** Absent (undefined) fields keep their stored value; at least one must be given. */
export interface UpdateIntervalCommand {
  readonly type: unknown;
  readonly intervalMinutes?: unknown;
  readonly idleMultiplier?: unknown;
  readonly offlineMultiplier?: unknown;
  readonly audit?: AuditContext;
}

export interface UpdatedTypeSettings {
  readonly type: SyncType;
  readonly intervalMinutes: number;
  readonly idleMultiplier: number;
  readonly offlineMultiplier: number;
}

export const SETTINGS_FIELDS = ['intervalMinutes', 'idleMultiplier', 'offlineMultiplier'] as const;
export const AT_LEAST_ONE_SETTING = `must set at least one of ${SETTINGS_FIELDS.join(', ')}`;

/**
 * Validates every field given, stores them in one transaction (one version), then applies
 * the committed state: only that type's timer is replaced, and only if its interval changed.
 * Throws invalidInput or unavailable; nothing half-applied.
 */
export class UpdateInterval {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(command: UpdateIntervalCommand): Promise<UpdatedTypeSettings> {
    const type = parseSyncType(command.type);
    const patch = validPatch(command);
    const audit = auditEntry(command.audit, 'settings.update', type);
    const stored = await this.settings.saveTypeSettings(type, patch, audit);
    this.scheduler.apply(stored);
    const { intervalMinutes, idleMultiplier, offlineMultiplier } = stored.types[type];
    return { type, intervalMinutes, idleMultiplier, offlineMultiplier };
  }
}

function validPatch(command: UpdateIntervalCommand): TypeSettingsPatch {
  const { intervalMinutes, idleMultiplier, offlineMultiplier } = command;
  if (SETTINGS_FIELDS.every((field) => command[field] === undefined)) {
    throw invalidInput('body', AT_LEAST_ONE_SETTING);
  }
  return {
    ...(intervalMinutes !== undefined && {
      intervalMinutes: validateIntervalMinutes(intervalMinutes),
    }),
    ...(idleMultiplier !== undefined && {
      idleMultiplier: validateMultiplier(idleMultiplier, 'idleMultiplier'),
    }),
    ...(offlineMultiplier !== undefined && {
      offlineMultiplier: validateMultiplier(offlineMultiplier, 'offlineMultiplier'),
    }),
  };
}
