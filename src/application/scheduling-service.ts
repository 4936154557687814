import { enabledOf, intervalsOf, isNewer } from '../domain/desired-state.js';
import {
  gateJobs,
  readBreakers,
  UNGATED,
  type BreakerView,
  type GatedJobs,
} from './breaker-gate.js';
import { DEFAULT_INTERVALS, MS_PER_MINUTE, type Intervals } from '../domain/interval.js';
import type { AgentRegistry } from '../domain/ports/agent-registry.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';
import type { Cancel, Clock } from '../domain/ports/clock.js';
import type { JobQueue, SyncJob } from '../domain/ports/job-queue.js';
import type { Lease } from '../domain/ports/leader-election.js';
import type { RunLog } from '../domain/ports/run-log.js';
import type { SyncSettings } from '../domain/ports/settings-store.js';
import type { DecisionClass, SyncHistory, TickDecision } from '../domain/ports/sync-history.js';
import type { TickObserver, TickStage } from '../domain/ports/tick-observer.js';
import { firstTickDelayMs } from '../domain/schedule.js';
import { spreadDelayMs, spreadWindowMs, type SpreadMode } from '../domain/spread.js';
import { buildSyncJobs } from '../domain/sync-jobs.js';
import { isSharedType, SYNC_TYPES, type SyncType } from '../domain/sync-types.js';

export interface SchedulingDeps {
  readonly clock: Clock;
  readonly queue: JobQueue;
  readonly agents: AgentRegistry;
  readonly runLog: RunLog;
  readonly observer: TickObserver;
  /** Per-agent state and the breakers; without it every pair is sent (tests, benchmarks). */
  readonly agentState?: AgentStateStore;
  /** Where each tick's decisions (deduplicated, skipped_breaker) go; without it, nowhere. */
  readonly history?: SyncHistory;
  /** Agents in an ERP breaker probe batch (default 5). */
  readonly erpProbeSize?: number;
  /** Where each agent's job goes in its cycle (default `window`, the original behaviour). */
  readonly spreadMode?: SpreadMode;
  /** Milliseconds per scheduler minute (default 60000; smaller for tests and soaks). */
  readonly minuteMs?: number;
}

export interface TypeSchedule {
  readonly intervalMinutes: number;
  /** The interval in milliseconds (minutes × the scheduler minute). */
  readonly periodMs: number;
  readonly enabled: boolean;
  /** A tick of this type is in flight (looking agents up or enqueuing). */
  readonly ticking: boolean;
  readonly lastRunAt: number | null;
  /** Only while this replica schedules the type. */
  readonly nextRunAt: number | null;
}

interface TypeState {
  cancel?: Cancel;
  lastRunAt?: number;
  nextRunAt?: number;
  inFlight?: Promise<void>;
}

/**
 * The application service that runs the schedule (the rules it follows are pure functions in
 * `domain/`): it holds the desired state, applied strictly in version order, and, only while
 * it holds a valid lease, one timer per enabled type; each tick fans out one job per agent
 * (or one shared job) in a single fenced batch. Talks to the world only through its ports.
 *
 * It starts as a follower with no desired state: nothing ticks until a state says "running"
 * and the election grants a lease.
 */
export class SchedulingService {
  private desired: SyncSettings | undefined;
  private lease: Lease | null = null;
  /** Bumped by every leadership change, so a slow gain cannot undo a later loss. */
  private leadership = 0;
  private closed = false;
  private readonly states = new Map<SyncType, TypeState>(SYNC_TYPES.map((t) => [t, {}]));
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: SchedulingDeps) {}

  /**
   * Applies a committed desired state if it is newer than the one applied (an older or equal
   * version is ignored: a slow read can never undo a newer command). Only the types whose
   * interval or flag changed get a new timer. Returns whether it applied.
   */
  apply(settings: SyncSettings): boolean {
    if (this.closed || !isNewer(settings, this.desired)) return false;
    const before = this.desired;
    this.desired = settings;
    for (const type of SYNC_TYPES) {
      if (!before || before.running !== settings.running || changed(before, settings, type)) {
        this.reschedule(type);
      }
    }
    return true;
  }

  /** The version of the applied desired state; 0 before the first. */
  version(): number {
    return this.desired?.version ?? 0;
  }

  /**
   * Leads while `lease` is valid; null steps down at once (timers cleared before another
   * replica can start). Gaining reloads the last runs first, so the phase carries over.
   */
  async setLeader(lease: Lease | null): Promise<void> {
    const change = ++this.leadership;
    if (!lease) {
      this.lease = null;
      this.clearTimers();
      return;
    }
    const lastRuns = await this.loadLastRuns();
    if (change !== this.leadership || this.closed) return;
    this.lease = lease;
    this.rememberLastRuns(lastRuns);
    this.scheduleAll();
  }

  /** For good (shutdown): steps down, clears every timer; later applies and leases are ignored. */
  close(): void {
    this.closed = true;
    this.leadership++;
    this.lease = null;
    this.clearTimers();
  }

  /** Resolves when every tick already in flight has finished (used at shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  isRunning(): boolean {
    return this.desired?.running ?? false;
  }

  isLeader(): boolean {
    return this.lease?.isValid() ?? false;
  }

  getDetailedIntervals(): Intervals {
    return this.desired ? intervalsOf(this.desired) : { ...DEFAULT_INTERVALS };
  }

  getIntervals(): Record<SyncType, number> {
    const intervals = this.getDetailedIntervals();
    const result = {} as Record<SyncType, number>;
    for (const type of SYNC_TYPES) result[type] = intervals[type] * this.minuteMs;
    return result;
  }

  getEnabled(): Readonly<Record<SyncType, boolean>> {
    return this.desired
      ? enabledOf(this.desired)
      : (Object.fromEntries(SYNC_TYPES.map((t) => [t, true])) as Record<SyncType, boolean>);
  }

  scheduleOf(type: SyncType): TypeSchedule {
    const state = this.state(type);
    return {
      intervalMinutes: this.intervalOf(type),
      periodMs: this.periodOf(type),
      enabled: this.desired?.types[type].enabled ?? true,
      ticking: state.inFlight !== undefined,
      lastRunAt: state.lastRunAt ?? null,
      nextRunAt: state.cancel ? (state.nextRunAt ?? null) : null,
    };
  }

  /** A failed read keeps what this process already knows rather than firing everything now. */
  private async loadLastRuns(): Promise<Partial<Record<SyncType, number>>> {
    try {
      return await this.deps.runLog.loadLastRuns();
    } catch (error) {
      this.observe((o) => o.runLogFailed?.(error));
      const known: Partial<Record<SyncType, number>> = {};
      const now = this.deps.clock.now();
      for (const type of SYNC_TYPES) known[type] = this.state(type).lastRunAt ?? now;
      return known;
    }
  }

  private rememberLastRuns(lastRuns: Partial<Record<SyncType, number>>): void {
    for (const type of SYNC_TYPES) {
      const at = lastRuns[type];
      const state = this.state(type);
      if (at !== undefined && at > (state.lastRunAt ?? -Infinity)) state.lastRunAt = at;
    }
  }

  private scheduleAll(): void {
    for (const type of SYNC_TYPES) this.reschedule(type);
  }

  private shouldTick(type: SyncType): boolean {
    const desired = this.desired;
    return !!desired && desired.running && desired.types[type].enabled && this.lease !== null;
  }

  /** Clears the old timer before creating the new one; no timer unless it should tick. */
  private reschedule(type: SyncType): void {
    const state = this.state(type);
    state.cancel?.();
    state.cancel = undefined;
    state.nextRunAt = undefined;
    if (!this.shouldTick(type)) return;
    const { clock } = this.deps;
    const periodMs = this.periodOf(type);
    const now = clock.now();
    const firstDelay = firstTickDelayMs(state.lastRunAt, periodMs, now);
    state.nextRunAt = now + firstDelay;
    let cancelEvery: Cancel | undefined;
    const cancelFirst = clock.after(firstDelay, () => {
      cancelEvery = clock.every(periodMs, () => this.fire(type, periodMs));
      this.fire(type, periodMs);
    });
    state.cancel = () => {
      cancelFirst();
      cancelEvery?.();
    };
  }

  private fire(type: SyncType, periodMs: number): void {
    const state = this.state(type);
    const now = this.deps.clock.now();
    state.nextRunAt = now + periodMs;
    // A timer that fell due during a stall runs before the election's deadline callback:
    // the lease, not the timer, says whether this replica may still act.
    const lease = this.lease;
    if (!lease?.isValid()) {
      this.observe((o) => o.tickFenced?.({ type, at: 'fire', jobs: 0 }));
      return;
    }
    if (state.inFlight) {
      this.observe((o) => o.tickSkipped(type));
      return;
    }
    state.lastRunAt = now;
    const tick = this.tick(type, now, lease).finally(() => {
      state.inFlight = undefined;
      this.inFlight.delete(tick);
    });
    state.inFlight = tick;
    this.inFlight.add(tick);
  }

  /** Never rejects: every failure is reported and the next tick tries again. */
  private async tick(type: SyncType, startedAt: number, lease: Lease): Promise<void> {
    const { clock, agents, queue } = this.deps;
    let stage: TickStage = 'agentLookup';
    // Recorded once the enqueue is settled, unless the fence refused all of it: a stale leader
    // must not move the phase its successor keeps. A failed enqueue still counts as a run.
    let ran = true;
    try {
      // The breakers are read beside the agent lookup: one round trip for both.
      const breakers = this.readBreakers(type, startedAt);
      const agentIds = isSharedType(type) ? [] : await agents.listActiveAgentIds();
      const built = this.spread(buildSyncJobs(type, agentIds, startedAt));
      stage = 'breakers';
      const gated = await this.gate(await breakers, built, startedAt);
      const jobs = gated.send;
      stage = 'enqueue';
      const result =
        jobs.length > 0
          ? await queue.enqueue(jobs, lease)
          : { added: 0, deduplicated: 0, fenced: 0 };
      if (result.fenced > 0) {
        ran = result.fenced < jobs.length;
        this.observe((o) => o.tickFenced?.({ type, at: 'chunk', jobs: result.fenced }));
      } else {
        this.afterEnqueue(type, jobs, gated, startedAt);
        this.recordDecisions(type, startedAt, {
          deduplicated: result.deduplicated,
          skipped_breaker: gated.skipped,
        });
      }
      const durationMs = clock.now() - startedAt;
      this.observe((o) =>
        o.tickCompleted({
          type,
          agents: built.length,
          ...result,
          skippedBreaker: gated.skipped,
          durationMs,
        }),
      );
    } catch (error) {
      const durationMs = clock.now() - startedAt;
      this.observe((o) => o.tickFailed({ type, stage, error, durationMs }));
    }
    if (ran) this.recordRun(type, startedAt);
  }

  private async readBreakers(type: SyncType, now: number): Promise<BreakerView | null> {
    const store = this.deps.agentState;
    if (!store) return null;
    return readBreakers(store, type, now, (error) =>
      this.observe((o) => o.breakerReadFailed?.({ type, error })),
    );
  }

  private gate(view: BreakerView | null, jobs: SyncJob[], now: number): Promise<GatedJobs> {
    const store = this.deps.agentState;
    if (!store) return Promise.resolve(UNGATED(jobs));
    return gateJobs(store, view, jobs, now, {
      erpProbeSize: this.deps.erpProbeSize ?? 5,
      pairBreakers: true,
    });
  }

  /** Last enqueued and the probes now out; outside the tick, like the run log. */
  private afterEnqueue(type: SyncType, jobs: SyncJob[], gated: GatedJobs, at: number): void {
    const store = this.deps.agentState;
    if (!store || jobs.length === 0) return;
    this.track(
      (error) => this.observe((o) => o.agentStateFailed?.(error)),
      Promise.all([
        store.recordEnqueued(
          type,
          jobs.map((job) => job.userId),
          at,
        ),
        gated.probes.length > 0 ? store.markProbing(type, gated.probes) : undefined,
      ]).then(() => undefined),
    );
  }

  /**
   * One row per class with a non-zero count, whatever the number of agents; like the run log,
   * outside the tick, drained at shutdown.
   */
  private recordDecisions(
    type: SyncType,
    at: number,
    counts: Partial<Record<DecisionClass, number>>,
  ): void {
    const history = this.deps.history;
    if (!history) return;
    const decisions: TickDecision[] = [];
    for (const [decisionClass, count = 0] of Object.entries(counts)) {
      if (count > 0) decisions.push({ type, at, class: decisionClass as DecisionClass, count });
    }
    if (decisions.length === 0) return;
    this.track(
      (error) => this.observe((o) => o.decisionsFailed?.(error)),
      history.recordDecisions(decisions),
    );
  }

  /**
   * Writes that are not part of the tick: a slow store must not hold the type "in flight"
   * (and skip its next tick); shutdown still waits for them through `drain()`.
   */
  private track(onError: (error: unknown) => void, work: Promise<void>): void {
    const tracked = work.catch(onError).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private recordRun(type: SyncType, at: number): void {
    this.track(
      (error) => this.observe((o) => o.runLogFailed?.(error)),
      this.deps.runLog.recordRun(type, at),
    );
  }

  /** Agent jobs get a stable per-agent delay; the single shared job goes at once. */
  private spread(jobs: SyncJob[]): SyncJob[] {
    return jobs.map((job) =>
      isSharedType(job.type)
        ? job
        : { ...job, delayMs: spreadDelayMs(job.type, job.userId, this.spreadWindowOf(job.type)) },
    );
  }

  private spreadWindowOf(type: SyncType): number {
    return spreadWindowMs(this.periodOf(type), this.deps.spreadMode ?? 'window', this.minuteMs);
  }

  private get minuteMs(): number {
    return this.deps.minuteMs ?? MS_PER_MINUTE;
  }

  private periodOf(type: SyncType): number {
    return this.intervalOf(type) * this.minuteMs;
  }

  private intervalOf(type: SyncType): number {
    return this.desired?.types[type].intervalMinutes ?? DEFAULT_INTERVALS[type];
  }

  private observe(call: (observer: TickObserver) => void): void {
    try {
      call(this.deps.observer);
    } catch {
      // An observer must not throw; if one does, the schedule still goes on.
    }
  }

  private clearTimers(): void {
    for (const type of SYNC_TYPES) {
      const state = this.state(type);
      state.cancel?.();
      state.cancel = undefined;
      state.nextRunAt = undefined;
    }
  }

  private state(type: SyncType): TypeState {
    return this.states.get(type) as TypeState;
  }
}

const changed = (before: SyncSettings, after: SyncSettings, type: SyncType): boolean =>
  before.types[type].intervalMinutes !== after.types[type].intervalMinutes ||
  before.types[type].enabled !== after.types[type].enabled;
