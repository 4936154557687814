import type { Intervals } from '../domain/interval.js';
import type { Scheduler } from '../domain/scheduler.js';

/** The intervals in force (minutes); the scheduler mirrors the store after every update. */
export class GetIntervals {
  constructor(private readonly scheduler: Scheduler) {}

  async execute(): Promise<Intervals> {
    return this.scheduler.getDetailedIntervals();
  }
}
