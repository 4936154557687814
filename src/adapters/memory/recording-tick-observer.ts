import type { TickFailure, TickObserver, TickReport } from '../../domain/ports/tick-observer.js';
import type { SyncType } from '../../domain/sync-types.js';

/** Remembers every report, for tests and for a process without metrics. */
export class RecordingTickObserver implements TickObserver {
  readonly completed: TickReport[] = [];
  readonly failed: TickFailure[] = [];
  readonly skipped: SyncType[] = [];

  tickCompleted(report: TickReport): void {
    this.completed.push(report);
  }

  tickFailed(failure: TickFailure): void {
    this.failed.push(failure);
  }

  tickSkipped(type: SyncType): void {
    this.skipped.push(type);
  }
}
