import type { Intervals } from '../domain/interval.js';
import type { SchedulingService } from './scheduling-service.js';

/** The intervals in force (minutes); the scheduler mirrors the store after every update. */
export class GetIntervals {
  constructor(private readonly scheduler: SchedulingService) {}

  async execute(): Promise<Intervals> {
    this.scheduler.assertSettingsLoaded();
    return this.scheduler.getDetailedIntervals();
  }
}
