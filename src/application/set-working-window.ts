import type { SettingsStore } from '../domain/ports/settings-store.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';
import type { WorkingWindow } from '../domain/working-hours.js';
import type { SchedulingService } from './scheduling-service.js';

export interface SetWorkingWindowCommand {
  readonly type: unknown;
  /** Already validated (the HTTP edge checks it with its schema). */
  readonly window: WorkingWindow;
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
    const stored = await this.settings.saveWindow(type, command.window);
    this.scheduler.apply(stored);
    return { type, window: stored.types[type].window };
  }
}
