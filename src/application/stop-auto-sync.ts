import type { Scheduler } from '../domain/scheduler.js';

/** Clears every timer; jobs already enqueued are left to the workers. Idempotent. */
export class StopAutoSync {
  constructor(private readonly scheduler: Scheduler) {}

  async execute(): Promise<{ running: false }> {
    this.scheduler.stop();
    return { running: false };
  }
}
