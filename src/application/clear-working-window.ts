import type { SettingsStore } from '../domain/ports/settings-store.js';
import { parseSyncType } from '../domain/sync-types.js';
import type { SchedulingService } from './scheduling-service.js';
import type { TypeWindow } from './set-working-window.js';

/** Removes one type's working hours (it may sync at any hour again); idempotent. */
export class ClearWorkingWindow {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(command: { readonly type: unknown }): Promise<TypeWindow> {
    const type = parseSyncType(command.type);
    const stored = await this.settings.saveWindow(type, null);
    this.scheduler.apply(stored);
    return { type, window: stored.types[type].window };
  }
}
