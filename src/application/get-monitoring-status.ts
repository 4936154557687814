import { invalidInput, isSchedulerError, unavailable } from '../domain/errors.js';
import { HEALTH_WINDOW, healthOf, type Health } from '../domain/health.js';
import type { Intervals } from '../domain/interval.js';
import type { BreakerState, ErpBreakerState } from '../domain/breakers.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';
import type { Clock } from '../domain/ports/clock.js';
import type { LeaderElection } from '../domain/ports/leader-election.js';
import type { ActiveJob, QueueCounts, QueueInspector } from '../domain/ports/queue-inspector.js';
import type { RunLog } from '../domain/ports/run-log.js';
import type {
  DecisionClass,
  SyncEvent,
  SyncHistory,
  TickDecision,
} from '../domain/ports/sync-history.js';
import type { BudgetStatus, SchedulingService } from './scheduling-service.js';
import { isSharedType, SYNC_TYPES, type SyncType } from '../domain/sync-types.js';
import { countTiers, type ActivityTier, type TierRules } from '../domain/activity.js';
import type { AgentRegistry } from '../domain/ports/agent-registry.js';
import type { WorkingWindow } from '../domain/working-hours.js';

/** One finished sync job, as the API shows it. */
export interface RunRecord {
  readonly timestamp: string;
  /** Milliseconds; null when the worker did not report when the job started. */
  readonly duration: number | null;
  readonly success: boolean;
  /** The outcome class: `failed` only after all its attempts. */
  readonly class: 'completed' | 'failed';
  readonly error: string | null;
}

/** What one tick decided for jobs it did not run, as the API shows it. */
export interface DecisionRecord {
  readonly timestamp: string;
  readonly class: DecisionClass;
  readonly count: number;
}

export interface TypeStatus {
  readonly isRunning: boolean;
  readonly lastRunTime: string | null;
  readonly nextRunTime: string | null;
  readonly health: Health;
  /** Newest first. */
  readonly history: readonly RunRecord[];
  /** Newest first, as many as the history; they never count towards health. */
  readonly decisions: readonly DecisionRecord[];
  readonly enabled: boolean;
  readonly intervalMinutes: number;
  readonly idleMultiplier: number;
  readonly offlineMultiplier: number;
  readonly window: WorkingWindow | null;
  /** Agents per activity tier (agent types; null for shared types or when unknown). */
  readonly tiers: Readonly<Record<ActivityTier, number>> | null;
  /** Pairs of this type whose breaker is open or half open; null when not known. */
  readonly openBreakers: number | null;
}

export interface MonitoringStatus {
  readonly queue: QueueCounts;
  readonly activeJobs: readonly { userId: string; jobId: string; type: SyncType }[];
  readonly scheduler: {
    readonly running: boolean;
    readonly intervals: Intervals;
    readonly enabled: Readonly<Record<SyncType, boolean>>;
  };
  readonly currentSync: SyncType | null;
  readonly types: Readonly<Record<SyncType, TypeStatus>>;
  /** This replica, which may or may not be the one that schedules. */
  readonly leader: { readonly replicaId: string; readonly isLeader: boolean };
  /** The fleet-wide ERP breaker; null when the agent state is not known. */
  readonly erpBreaker: {
    readonly state: BreakerState;
    readonly since: number | null;
    readonly openUntil: number | null;
  } | null;
  /**
   * The release budget; null when none is set. The waiting pairs and the cycle ratio are the
   * leader's (on another replica they are zero and null).
   */
  readonly budget: BudgetStatus | null;
}

export interface MonitoringQuery {
  /** Past jobs shown per type, 1..100; default 10. */
  readonly historyLimit?: number;
}

export const DEFAULT_HISTORY_LIMIT = 10;
export const MAX_HISTORY_LIMIT = 100;
/** Enough to see what runs now without paging a large queue into memory. */
const ACTIVE_JOBS_LIMIT = 50;

const QUEUE_DOWN = 'The queue status could not be read: the queue is unreachable.';
const RUN_LOG_DOWN = 'The last run times could not be read: the run log is unreachable.';
const HISTORY_DOWN = 'The sync history could not be read: the sync history is unreachable.';

interface Snapshot {
  readonly queue: QueueCounts;
  readonly active: readonly ActiveJob[];
  readonly lastRuns: Partial<Record<SyncType, number>>;
  readonly events: Readonly<Record<SyncType, readonly SyncEvent[]>>;
  readonly decisions: Readonly<Record<SyncType, readonly TickDecision[]>>;
  /** Breakers are an extra: unknown (null) when the agent state cannot be read. */
  readonly openBreakers: Readonly<Record<SyncType, number>> | null;
  readonly erp: ErpBreakerState | null;
  readonly tiers: Readonly<Record<ActivityTier, number>> | null;
}

/** Where the tier counts come from; without it they are null. */
export interface TierSource {
  readonly agents: AgentRegistry;
  readonly rules: TierRules;
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

function validLimit(limit: number): number {
  if (Number.isInteger(limit) && limit >= 1 && limit <= MAX_HISTORY_LIMIT) return limit;
  throw invalidInput('historyLimit', `must be a whole number between 1 and ${MAX_HISTORY_LIMIT}`);
}

/**
 * An unreachable source (the adapter rejected with "unavailable") is named in the sentence;
 * anything else is a bug and surfaces as it is (a 500 with its cause logged).
 */
function valueOf<T>(result: PromiseSettledResult<T>, message: string): T {
  if (result.status === 'fulfilled') return result.value;
  const reason: unknown = result.reason;
  if (isSchedulerError(reason) && reason.kind === 'unavailable') {
    throw unavailable(message, reason.cause ?? reason);
  }
  throw reason;
}

/** Where the leader's timer stands: one interval after the last run; at once if overdue or new. */
const nextRun = (lastRunAt: number | null, intervalMs: number, now: number): number =>
  lastRunAt === null ? now : Math.max(now, lastRunAt + intervalMs);

const toRecord = (event: SyncEvent): RunRecord => ({
  timestamp: iso(event.finishedAt),
  duration: event.durationMs,
  success: event.success,
  class: event.success ? 'completed' : 'failed',
  error: event.error,
});

const toDecisionRecord = (decision: TickDecision): DecisionRecord => ({
  timestamp: iso(decision.at),
  class: decision.class,
  count: decision.count,
});

/**
 * What the scheduler and the queue are doing, per type, as any replica sees it: last runs
 * and history come from shared stores, so a follower answers like the leader would.
 */
export class GetMonitoringStatus {
  constructor(
    private readonly scheduler: SchedulingService,
    private readonly inspector: QueueInspector,
    private readonly runLog: RunLog,
    private readonly history: SyncHistory,
    private readonly leadership: LeaderElection,
    private readonly clock: Clock,
    private readonly agentState?: AgentStateStore,
    private readonly tierSource?: TierSource,
  ) {}

  async execute(query: MonitoringQuery = {}): Promise<MonitoringStatus> {
    const limit = validLimit(query.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    const snapshot = await this.read(limit);
    const now = this.clock.now();
    const types = {} as Record<SyncType, TypeStatus>;
    for (const type of SYNC_TYPES) types[type] = this.typeStatus(type, snapshot, limit, now);
    return {
      queue: snapshot.queue,
      activeJobs: snapshot.active.map(({ userId, jobId, type }) => ({ userId, jobId, type })),
      scheduler: {
        running: this.scheduler.isRunning(),
        intervals: this.scheduler.getDetailedIntervals(),
        enabled: this.scheduler.getEnabled(),
      },
      currentSync: SYNC_TYPES.find((type) => types[type].isRunning) ?? null,
      types,
      leader: { replicaId: this.leadership.replicaId, isLeader: this.leadership.isLeader() },
      erpBreaker: snapshot.erp
        ? {
            state: snapshot.erp.state,
            since: snapshot.erp.since,
            openUntil: snapshot.erp.openUntil,
          }
        : null,
      budget: this.scheduler.budgetStatus(),
    };
  }

  /**
   * All sources in parallel; settled rather than raced so that, when several are down, the
   * error always names the same one first (queue, then run log, then history).
   */
  private async read(limit: number): Promise<Snapshot> {
    // Health looks at the newest HEALTH_WINDOW outcomes whatever the caller asked to see,
    // so ?limit=1 cannot hide a failure and turn "degraded" into "healthy".
    const [queue, active, lastRuns, events, decisions, openBreakers, erp, tiers] =
      await Promise.allSettled([
        this.inspector.counts(),
        this.inspector.activeJobs(ACTIVE_JOBS_LIMIT),
        this.runLog.loadLastRuns(),
        this.history.recent(Math.max(limit, HEALTH_WINDOW)),
        this.history.recentDecisions(limit),
        this.agentState ? this.agentState.openCounts() : Promise.resolve(null),
        this.agentState ? this.agentState.loadErpBreaker() : Promise.resolve(null),
        this.readTiers(),
      ]);
    return {
      queue: valueOf(queue, QUEUE_DOWN),
      active: valueOf(active, QUEUE_DOWN),
      lastRuns: valueOf(lastRuns, RUN_LOG_DOWN),
      events: valueOf(events, HISTORY_DOWN),
      decisions: valueOf(decisions, HISTORY_DOWN),
      openBreakers: openBreakers.status === 'fulfilled' ? openBreakers.value : null,
      erp: erp.status === 'fulfilled' ? erp.value : null,
      tiers: tiers.status === 'fulfilled' ? tiers.value : null,
    };
  }

  /** The agent list is cached, so this costs no query on most calls. */
  private async readTiers(): Promise<Readonly<Record<ActivityTier, number>> | null> {
    const source = this.tierSource;
    if (!source) return null;
    const [agents, known] = await Promise.all([
      source.agents.listAgents(),
      source.agents.activityKnown(),
    ]);
    return countTiers(agents, this.clock.now(), known ? source.rules : null);
  }

  private typeStatus(type: SyncType, snapshot: Snapshot, limit: number, now: number): TypeStatus {
    const {
      intervalMinutes,
      periodMs: intervalMs,
      enabled,
      ticking,
    } = this.scheduler.scheduleOf(type);
    const settings = this.scheduler.settingsOf(type);
    const autoSyncRunning = this.scheduler.isRunning();
    // The run log, not this replica's memory: only the leader ticks, every replica reads it.
    const lastRunAt = snapshot.lastRuns[type] ?? null;
    const events = snapshot.events[type] ?? [];
    const nextRunAt = autoSyncRunning && enabled ? nextRun(lastRunAt, intervalMs, now) : null;
    const openBreakers = snapshot.openBreakers?.[type] ?? (snapshot.openBreakers ? 0 : null);
    const breakerOpen =
      (snapshot.erp !== null && snapshot.erp.state !== 'closed') || (openBreakers ?? 0) > 0;
    return {
      isRunning: ticking || snapshot.active.some((job) => job.type === type),
      lastRunTime: lastRunAt === null ? null : iso(lastRunAt),
      nextRunTime: nextRunAt === null ? null : iso(nextRunAt),
      health: healthOf({
        autoSyncRunning,
        enabled,
        intervalMs,
        lastRunAt,
        history: events,
        breakerOpen,
        now,
      }),
      history: events.slice(0, limit).map(toRecord),
      decisions: (snapshot.decisions[type] ?? []).map(toDecisionRecord),
      enabled,
      intervalMinutes,
      idleMultiplier: settings.idleMultiplier,
      offlineMultiplier: settings.offlineMultiplier,
      window: settings.window,
      tiers: isSharedType(type) ? null : snapshot.tiers,
      openBreakers,
    };
  }
}
