import type { Cancel, Clock } from '../domain/ports/clock.js';
import type { SettingsFeed } from '../domain/ports/settings-feed.js';
import type { SettingsStore } from '../domain/ports/settings-store.js';
import type { SchedulingService } from './scheduling-service.js';

export interface FollowDesiredStateOptions {
  /** Safety net for lost notifications. */
  readonly resyncMs: number;
  /** How long the first read waits for the feed to be listening (then the resync covers). */
  readonly readyTimeoutMs?: number;
  readonly onError: (error: unknown) => void;
}

/**
 * Keeps this replica's scheduler in line with the desired state in the store: on every
 * change notification and on a timer. Subscribes first and waits until the feed listens,
 * then reads, so a change committed between the two is never lost. Reloads never overlap; a
 * change that arrives during one triggers exactly one more; a notification whose version is
 * already applied costs nothing. The scheduler applies only newer versions, so a slow reload
 * can never undo a newer command. After stop(), a reload still in flight applies nothing.
 */
export class FollowDesiredState {
  private reloading: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private cancels: Cancel[] = [];

  constructor(
    private readonly scheduler: SchedulingService,
    private readonly settings: SettingsStore,
    private readonly feed: SettingsFeed,
    private readonly clock: Clock,
    private readonly options: FollowDesiredStateOptions,
  ) {}

  /** Rejects (and follows nothing) if the first read fails. */
  async execute(): Promise<void> {
    this.cancels.push(this.feed.subscribe((version) => this.changed(version)));
    await this.feedReady();
    try {
      const settings = await this.settings.loadSettings();
      if (!this.stopped) this.scheduler.apply(settings);
    } catch (error) {
      this.stop();
      throw error;
    }
    if (!this.stopped) {
      this.cancels.push(this.clock.every(this.options.resyncMs, () => void this.reload()));
    }
  }

  stop(): void {
    this.stopped = true;
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
      if (this.again && !this.stopped) {
        this.again = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  private changed(version: number | undefined): void {
    if (version !== undefined && version <= this.scheduler.version()) return;
    void this.reload();
  }

  private async feedReady(): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 5_000;
    let cancel: Cancel | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      cancel = this.clock.after(timeoutMs, () => resolve(false));
    });
    const ready = await Promise.race([this.feed.ready().then(() => true), timedOut]);
    cancel?.();
    if (!ready) {
      this.options.onError(
        new Error(`the settings feed was not listening after ${timeoutMs} ms; the resync covers`),
      );
    }
  }

  private async load(): Promise<void> {
    if (this.stopped) return;
    try {
      const settings = await this.settings.loadSettings();
      if (!this.stopped) this.scheduler.apply(settings);
    } catch (error) {
      if (!this.stopped) this.options.onError(error);
    }
  }
}
