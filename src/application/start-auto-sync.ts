import type { Intervals } from '../domain/interval.js';
import type { Scheduler } from '../domain/scheduler.js';

export interface AutoSyncState {
  readonly running: boolean;
  readonly intervals: Intervals;
}

/** Starts every timer with the intervals saved in the store; harmless when already running. */
export class StartAutoSync {
  constructor(private readonly scheduler: Scheduler) {}

  async execute(): Promise<AutoSyncState> {
    await this.scheduler.start();
    return {
      running: this.scheduler.isRunning(),
      intervals: this.scheduler.getDetailedIntervals(),
    };
  }
}
