import type { SyncJob } from '../domain/ports/job-queue.js';
import type { SyncType } from '../domain/sync-types.js';

/** The fleet-wide release budget; an absent limit is unlimited. */
export interface BudgetLimits {
  /** Jobs of the queue waiting, delayed, prioritized or active together. */
  readonly maxInFlight?: number | undefined;
  /** Jobs released per rolling (scheduler) minute. */
  readonly maxPerMinute?: number | undefined;
}

export const hasBudget = (limits: BudgetLimits | undefined): limits is BudgetLimits =>
  limits !== undefined && (limits.maxInFlight !== undefined || limits.maxPerMinute !== undefined);

/** How many jobs may go now, given what the queue holds and what went in the last minute. */
export function releaseCapacity(
  limits: BudgetLimits,
  inFlight: number,
  releasedLastMinute: number,
): number {
  const byInFlight = limits.maxInFlight === undefined ? Infinity : limits.maxInFlight - inFlight;
  const byMinute =
    limits.maxPerMinute === undefined ? Infinity : limits.maxPerMinute - releasedLastMinute;
  return Math.max(0, Math.min(byInFlight, byMinute));
}

/** One pair waiting for the budget. */
export interface PlannedRelease {
  readonly key: string;
  /** Sent without a delay: the plan, not the queue, holds it until its time. */
  readonly job: SyncJob;
  /** Not before this (the tick plus the pair's spread offset). */
  readonly notBefore: number;
  /** Epoch ms of the pair's last success; 0 = never (most stale). */
  readonly lastSuccessAt: number;
  /** From a manual trigger: kept when the type is paused or auto-sync stops. */
  readonly manual: boolean;
  /** The tick that planned it (for the cycle ratio); the trigger's time for manual ones. */
  readonly plannedAt: number;
  /** Already counted as `deferred_budget` once. */
  counted: boolean;
}

export interface Offer {
  readonly jobs: readonly SyncJob[];
  readonly at: number;
  readonly manual: boolean;
  /** The pair's last success (undefined = never). */
  readonly lastSuccessOf: (job: SyncJob) => number | undefined;
}

const keyOf = (job: SyncJob): string => `${job.type}\u0000${job.userId}`;

/**
 * The leader's pairs waiting for the release budget: due ones go most stale first, and a
 * pair already waiting is never planned twice. Leader-local: a new leader's next tick plans
 * again what was still waiting (manual triggers wait in the shared ledger until taken).
 */
export class ReleasePlan {
  private readonly entries = new Map<string, PlannedRelease>();

  /** Plans the jobs not already waiting; resolves with how many were already waiting. */
  offer({ jobs, at, manual, lastSuccessOf }: Offer): { planned: number; alreadyWaiting: number } {
    let planned = 0;
    let alreadyWaiting = 0;
    for (const job of jobs) {
      const key = keyOf(job);
      if (this.entries.has(key)) {
        alreadyWaiting++;
        continue;
      }
      const { delayMs = 0, ...rest } = job;
      this.entries.set(key, {
        key,
        job: rest,
        notBefore: at + delayMs,
        lastSuccessAt: lastSuccessOf(job) ?? 0,
        manual,
        plannedAt: at,
        counted: false,
      });
      planned++;
    }
    return { planned, alreadyWaiting };
  }

  /** Pairs whose time has come, most stale first (then the earliest due, then by key). */
  due(now: number): PlannedRelease[] {
    const due: PlannedRelease[] = [];
    for (const entry of this.entries.values()) if (entry.notBefore <= now) due.push(entry);
    return due.sort(
      (a, b) =>
        a.lastSuccessAt - b.lastSuccessAt ||
        a.notBefore - b.notBefore ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  }

  remove(entries: readonly PlannedRelease[]): void {
    for (const entry of entries) this.entries.delete(entry.key);
  }

  /** A paused type or stopped auto-sync: its scheduled pairs go, manual ones stay. */
  dropScheduled(type: SyncType): void {
    for (const [key, entry] of this.entries) {
      if (entry.job.type === type && !entry.manual) this.entries.delete(key);
    }
  }

  /** Empties the plan; resolves with the manual pairs it held, to hand back to the ledger. */
  clear(): PlannedRelease[] {
    const manual = [...this.entries.values()].filter((entry) => entry.manual);
    this.entries.clear();
    return manual;
  }

  /** Pairs of `type` waiting (all of them, due or not). */
  waiting(type: SyncType): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.job.type === type) count++;
    return count;
  }

  /** The earliest tick with a scheduled pair of `type` still waiting; undefined if none. */
  oldestPlannedAt(type: SyncType): number | undefined {
    let oldest: number | undefined;
    for (const entry of this.entries.values()) {
      if (
        entry.job.type === type &&
        !entry.manual &&
        (oldest === undefined || entry.plannedAt < oldest)
      ) {
        oldest = entry.plannedAt;
      }
    }
    return oldest;
  }

  get size(): number {
    return this.entries.size;
  }
}
