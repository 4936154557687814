import type { SettingsStore } from '../domain/ports/settings-store.js';
import type { SchedulingService } from './scheduling-service.js';

/** Stores "stopped" (it survives restarts), then applies it: every timer cleared. Idempotent. */
export class StopAutoSync {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
  ) {}

  async execute(): Promise<{ running: false }> {
    this.scheduler.apply(await this.settings.saveRunning(false));
    return { running: false };
  }
}
