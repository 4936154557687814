import type { RunLog } from '../../domain/ports/run-log.js';
import type { SyncType } from '../../domain/sync-types.js';
import { asAdapterFailure } from './failure.js';

export class InMemoryRunLog implements RunLog {
  private readonly lastRuns: Partial<Record<SyncType, number>> = {};
  private failure: Error | null = null;

  async loadLastRuns(): Promise<Partial<Record<SyncType, number>>> {
    if (this.failure) throw asAdapterFailure(this.failure, 'The run log is unreachable.');
    return { ...this.lastRuns };
  }

  /** Takes effect synchronously, so a fixture can seed history with `void recordRun(...)`. */
  async recordRun(type: SyncType, at: number): Promise<void> {
    if (this.failure) throw asAdapterFailure(this.failure, 'The run log is unreachable.');
    this.lastRuns[type] = at;
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }
}
