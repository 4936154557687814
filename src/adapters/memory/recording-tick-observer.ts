import type {
  BudgetCycle,
  ReleaseReport,
  TickFailure,
  TickFenced,
  TickObserver,
  TickReport,
} from '../../domain/ports/tick-observer.js';
import type { SyncType } from '../../domain/sync-types.js';

/** Remembers every report, for tests and for a process without metrics. */
export class RecordingTickObserver implements TickObserver {
  readonly completed: TickReport[] = [];
  readonly failed: TickFailure[] = [];
  readonly skipped: SyncType[] = [];
  readonly fenced: TickFenced[] = [];
  readonly decisionFailures: unknown[] = [];
  readonly releases: ReleaseReport[] = [];
  readonly releaseFailures: unknown[] = [];
  readonly cycles: BudgetCycle[] = [];

  tickCompleted(report: TickReport): void {
    this.completed.push(report);
  }

  tickFailed(failure: TickFailure): void {
    this.failed.push(failure);
  }

  tickSkipped(type: SyncType): void {
    this.skipped.push(type);
  }

  tickFenced(fenced: TickFenced): void {
    this.fenced.push(fenced);
  }

  decisionsFailed(error: unknown): void {
    this.decisionFailures.push(error);
  }

  released(report: ReleaseReport): void {
    this.releases.push(report);
  }

  releaseFailed(error: unknown): void {
    this.releaseFailures.push(error);
  }

  budgetCycle(cycle: BudgetCycle): void {
    this.cycles.push(cycle);
  }
}
