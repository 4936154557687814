import type { SettingsStore } from '../domain/ports/settings-store.js';
import type { Scheduler } from '../domain/scheduler.js';
import { saveRunning } from './start-auto-sync.js';

/** Stores "stopped" (it survives restarts), then clears every timer. Idempotent. */
export class StopAutoSync {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly settings: SettingsStore,
  ) {}

  async execute(): Promise<{ running: false }> {
    await saveRunning(this.settings, false);
    this.scheduler.stop();
    return { running: false };
  }
}
