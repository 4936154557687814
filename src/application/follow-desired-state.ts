import type { Cancel, Clock } from '../domain/ports/clock.js';
import type { SettingsFeed } from '../domain/ports/settings-feed.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import type { Scheduler } from '../domain/scheduler.js';

export interface FollowDesiredStateOptions {
  /** Safety net for lost notifications. */
  readonly resyncMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * Keeps this replica's scheduler in line with the desired state in the store: on every
 * change notification and on a timer. Reloads never overlap; a change that arrives during a
 * reload triggers exactly one more.
 */
export class FollowDesiredState {
  private reloading: Promise<void> | undefined;
  private again = false;
  private cancels: Cancel[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly settings: SettingsStore,
    private readonly feed: SettingsFeed,
    private readonly clock: Clock,
    private readonly options: FollowDesiredStateOptions,
  ) {}

  /**
   * Follows the stored state: subscribes first, so a change made while the first read runs
   * is not missed, then applies it once. Rejects (and follows nothing) if that read fails.
   */
  async execute(): Promise<void> {
    this.cancels.push(this.feed.subscribe(() => void this.reload()));
    try {
      await this.scheduler.applySettings(await this.settings.loadSettings());
    } catch (error) {
      this.stop();
      throw error;
    }
    this.cancels.push(this.clock.every(this.options.resyncMs, () => void this.reload()));
  }

  stop(): void {
    for (const cancel of this.cancels.splice(0)) cancel();
  }

  /** Never rejects. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = this.load().finally(() => {
      this.reloading = undefined;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    try {
      await this.scheduler.applySettings(await this.settings.loadSettings());
    } catch (error) {
      this.options.onError(error);
    }
  }
}
