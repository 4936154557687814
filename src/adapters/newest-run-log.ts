import type { RunLog } from '../domain/ports/run-log.js';
import type { SyncType } from '../domain/sync-types.js';

/** Which of the two run logs failed while the other answered (log it: nothing else will). */
export type RunLogPartnerFailed = (partner: 'first' | 'second', error: unknown) => void;

/**
 * Two run logs as one (PostgreSQL and Redis beside the lease): after a handover during an
 * outage of either, the new leader still finds the phase in the other, instead of postponing
 * every type by a whole interval. Reads both in parallel and takes, per type, the newer run;
 * writes both. Rejects only when both fail (with the first's error); a single failure goes to
 * `onPartnerFailed`, since the Scheduler, which counts run log failures, never sees it.
 */
export class NewestRunLog implements RunLog {
  constructor(
    private readonly first: RunLog,
    private readonly second: RunLog,
    private readonly onPartnerFailed: RunLogPartnerFailed = () => {},
  ) {}

  async loadLastRuns(): Promise<Partial<Record<SyncType, number>>> {
    const [first, second] = await this.both((log) => log.loadLastRuns());
    const newest: Partial<Record<SyncType, number>> = { ...first };
    for (const [type, at] of Object.entries(second ?? {}) as [SyncType, number][]) {
      newest[type] = Math.max(at, newest[type] ?? -Infinity);
    }
    return newest;
  }

  async recordRun(type: SyncType, at: number): Promise<void> {
    await this.both((log) => log.recordRun(type, at));
  }

  /** Both answers (undefined for the one that failed); rejects only if both failed. */
  private async both<T>(
    call: (log: RunLog) => Promise<T>,
  ): Promise<[T | undefined, T | undefined]> {
    const [first, second] = await Promise.allSettled([call(this.first), call(this.second)]);
    if (first.status === 'rejected' && second.status === 'rejected') throw first.reason;
    if (first.status === 'rejected') this.report('first', first.reason);
    if (second.status === 'rejected') this.report('second', second.reason);
    return [
      first.status === 'fulfilled' ? first.value : undefined,
      second.status === 'fulfilled' ? second.value : undefined,
    ];
  }

  private report(partner: 'first' | 'second', error: unknown): void {
    try {
      this.onPartnerFailed(partner, error);
    } catch {
      // A failing listener must not turn a served call into a failed one.
    }
  }
}
