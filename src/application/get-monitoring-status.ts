import { unavailable } from '../domain/errors.js';
import type { Intervals } from '../domain/interval.js';
import type { ActiveJob, QueueCounts, QueueInspector } from '../domain/ports/queue-inspector.js';
import type { Scheduler, TypeSchedule } from '../domain/scheduler.js';
import { SYNC_TYPES, type SyncType } from '../domain/sync-types.js';

/** Later: 'degraded' | 'stale' | 'paused', once run history is recorded. */
export type TypeHealth = 'idle' | 'healthy';

/** One past run of a type; filled in once run history is recorded. */
export interface RunRecord {
  readonly timestamp: string;
  readonly duration: number;
  readonly success: boolean;
  readonly error: string | null;
}

export interface TypeStatus {
  readonly isRunning: boolean;
  readonly lastRunTime: string | null;
  readonly nextRunTime: string | null;
  readonly health: TypeHealth;
  readonly history: readonly RunRecord[];
}

export interface MonitoringStatus {
  readonly queue: QueueCounts;
  readonly activeJobs: readonly { userId: string; jobId: string; type: SyncType }[];
  readonly scheduler: { readonly running: boolean; readonly intervals: Intervals };
  readonly currentSync: SyncType | null;
  readonly types: Readonly<Record<SyncType, TypeStatus>>;
}

export interface MonitoringQuery {
  /** How many past runs per type; accepted now so the HTTP contract is already stable. */
  readonly historyLimit?: number;
}

/** Enough to see what runs now without paging a large queue into memory. */
const ACTIVE_JOBS_LIMIT = 50;

/** Health from what is known so far; run history will add degraded/stale/paused here. */
export function assessHealth(schedule: TypeSchedule): TypeHealth {
  return schedule.lastRunAt === null ? 'idle' : 'healthy';
}

const isoOrNull = (epochMs: number | null): string | null =>
  epochMs === null ? null : new Date(epochMs).toISOString();

/** What the scheduler and the queue are doing right now, per type. */
export class GetMonitoringStatus {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly inspector: QueueInspector,
  ) {}

  async execute(_query: MonitoringQuery = {}): Promise<MonitoringStatus> {
    const [queue, active] = await this.readQueue();
    const types = {} as Record<SyncType, TypeStatus>;
    for (const type of SYNC_TYPES) types[type] = this.typeStatus(type, active);
    return {
      queue,
      activeJobs: active.map(({ userId, jobId, type }) => ({ userId, jobId, type })),
      scheduler: {
        running: this.scheduler.isRunning(),
        intervals: this.scheduler.getDetailedIntervals(),
      },
      currentSync: SYNC_TYPES.find((type) => types[type].isRunning) ?? null,
      types,
    };
  }

  private async readQueue(): Promise<[QueueCounts, readonly ActiveJob[]]> {
    try {
      return await Promise.all([
        this.inspector.counts(),
        this.inspector.activeJobs(ACTIVE_JOBS_LIMIT),
      ]);
    } catch (error) {
      throw unavailable('The queue status could not be read: the queue is unreachable.', error);
    }
  }

  private typeStatus(type: SyncType, active: readonly ActiveJob[]): TypeStatus {
    const schedule = this.scheduler.scheduleOf(type);
    return {
      isRunning: schedule.ticking || active.some((job) => job.type === type),
      lastRunTime: isoOrNull(schedule.lastRunAt),
      nextRunTime: isoOrNull(schedule.nextRunAt),
      health: assessHealth(schedule),
      history: [],
    };
  }
}
