import { unavailable } from './errors.js';
import {
  DEFAULT_INTERVALS,
  minutesToMs,
  validateIntervalMinutes,
  validateIntervals,
  type Intervals,
} from './interval.js';
import type { AgentRegistry } from './ports/agent-registry.js';
import type { Cancel, Clock } from './ports/clock.js';
import type { JobQueue, SyncJob } from './ports/job-queue.js';
import type { RunLog } from './ports/run-log.js';
import type { SettingsStore, SyncSettings } from './ports/settings-store.js';
import type { TickObserver, TickStage } from './ports/tick-observer.js';
import { spreadDelayMs } from './spread.js';
import { buildSyncJobs } from './sync-jobs.js';
import { isSharedType, SYNC_TYPES, type SyncType } from './sync-types.js';

export interface SchedulerDeps {
  readonly clock: Clock;
  readonly queue: JobQueue;
  readonly agents: AgentRegistry;
  readonly settings: SettingsStore;
  readonly runLog: RunLog;
  readonly observer: TickObserver;
}

export interface TypeSchedule {
  readonly intervalMinutes: number;
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

const ALL_ENABLED = Object.fromEntries(SYNC_TYPES.map((t) => [t, true])) as Record<
  SyncType,
  boolean
>;

/**
 * Decides when each sync type runs: one timer per enabled type while auto-sync is running
 * and this replica leads; each tick fans out one job per agent (or one shared job) in a
 * single batch, spread over a short window. Talks to the world only through its ports.
 */
export class Scheduler {
  private intervals: Intervals = DEFAULT_INTERVALS;
  private enabled: Record<SyncType, boolean> = { ...ALL_ENABLED };
  private running = false;
  private leader = true;
  /** Bumped by start/stop so that a slow start() cannot undo a later stop(). */
  private generation = 0;
  private latestStart: { generation: number; started: Promise<void> } | undefined;
  /** Bumped by leadership changes, for the same reason. */
  private term = 0;
  private readonly states = new Map<SyncType, TypeState>(SYNC_TYPES.map((t) => [t, {}]));
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: SchedulerDeps) {}

  /**
   * Starts (or restarts) the timers. Without intervals it loads the saved settings. Each
   * type's first tick is due one interval after its last recorded run: at once when overdue
   * or never run, so restarts neither starve a type nor fire everything together.
   */
  start(intervals?: Intervals): Promise<void> {
    const generation = ++this.generation;
    const started = this.startAs(generation, intervals);
    this.latestStart = { generation, started };
    return started;
  }

  private async startAs(generation: number, intervals?: Intervals): Promise<void> {
    const settings = intervals ? undefined : await this.loadSettings();
    const next = intervals ? validateIntervals(intervals) : intervalsOf(settings as SyncSettings);
    const lastRuns = this.leader ? await this.loadLastRuns() : {};
    if (generation !== this.generation) {
      // Superseded. By a stop(): staying stopped is right. By a newer start() (an operator's
      // start racing the NOTIFY it caused): resolve with that start, so no caller sees
      // "not running" after asking to start.
      const latest = this.latestStart;
      if (latest && latest.generation > generation) await latest.started;
      return;
    }
    this.clearTimers();
    this.intervals = next;
    if (settings) this.enabled = enabledOf(settings);
    this.rememberLastRuns(lastRuns);
    this.running = true;
    this.scheduleAll();
  }

  stop(): void {
    this.generation++;
    this.clearTimers();
    this.running = false;
  }

  /** Resolves when every tick already in flight has finished (used at shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  isRunning(): boolean {
    return this.running;
  }

  isLeader(): boolean {
    return this.leader;
  }

  /**
   * Only the leader keeps timers. Losing leadership clears them at once (before another
   * replica can start); gaining it reloads the last runs so the phase carries over.
   */
  async setLeader(leader: boolean): Promise<void> {
    if (leader === this.leader) return;
    const term = ++this.term;
    this.leader = leader;
    if (!leader) {
      this.clearTimers();
      return;
    }
    const lastRuns = await this.loadLastRuns();
    if (term !== this.term) return;
    this.rememberLastRuns(lastRuns);
    if (this.running) this.scheduleAll();
  }

  /**
   * Applies the desired state read back from the store (another replica changed it, or the
   * periodic resync): only the types whose interval or flag changed get a new timer.
   */
  async applySettings(settings: SyncSettings): Promise<void> {
    if (settings.running && !this.running) {
      this.intervals = intervalsOf(settings);
      this.enabled = enabledOf(settings);
      await this.start(this.intervals);
      return;
    }
    if (!settings.running && this.running) this.stop();
    for (const type of SYNC_TYPES) {
      const { intervalMinutes, enabled } = settings.types[type];
      if (intervalMinutes === this.intervals[type] && enabled === this.enabled[type]) continue;
      this.intervals = { ...this.intervals, [type]: intervalMinutes };
      this.enabled = { ...this.enabled, [type]: enabled };
      this.reschedule(type);
    }
  }

  /** Persists first; only a stored value replaces that one type's timer. */
  async updateInterval(type: SyncType, minutes: unknown): Promise<number> {
    const value = validateIntervalMinutes(minutes);
    await this.persist(() => this.deps.settings.saveInterval(type, value), 'interval');
    this.intervals = { ...this.intervals, [type]: value };
    this.reschedule(type);
    return value;
  }

  /** Pauses (false) or resumes (true) one type; persisted first, like an interval. */
  async setEnabled(type: SyncType, enabled: boolean): Promise<void> {
    await this.persist(() => this.deps.settings.saveEnabled(type, enabled), 'setting');
    this.enabled = { ...this.enabled, [type]: enabled };
    this.reschedule(type);
  }

  getDetailedIntervals(): Intervals {
    return { ...this.intervals };
  }

  getIntervals(): Record<SyncType, number> {
    const result = {} as Record<SyncType, number>;
    for (const type of SYNC_TYPES) result[type] = minutesToMs(this.intervals[type]);
    return result;
  }

  getEnabled(): Readonly<Record<SyncType, boolean>> {
    return { ...this.enabled };
  }

  scheduleOf(type: SyncType): TypeSchedule {
    const state = this.state(type);
    return {
      intervalMinutes: this.intervals[type],
      enabled: this.enabled[type],
      ticking: state.inFlight !== undefined,
      lastRunAt: state.lastRunAt ?? null,
      nextRunAt: state.cancel ? (state.nextRunAt ?? null) : null,
    };
  }

  private async persist(save: () => Promise<void>, what: string): Promise<void> {
    try {
      await save();
    } catch (error) {
      throw unavailable(
        `The ${what} could not be saved: the settings store is unreachable.`,
        error,
      );
    }
  }

  private async loadSettings(): Promise<SyncSettings> {
    try {
      const settings = await this.deps.settings.loadSettings();
      validateIntervals(intervalsOf(settings));
      return settings;
    } catch (error) {
      throw unavailable(
        'The saved settings could not be loaded: the settings store is unreachable.',
        error,
      );
    }
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

  /** Clears the old timer before creating the new one; no timer unless it should tick. */
  private reschedule(type: SyncType): void {
    const state = this.state(type);
    state.cancel?.();
    state.cancel = undefined;
    state.nextRunAt = undefined;
    if (!this.running || !this.leader || !this.enabled[type]) return;
    const { clock } = this.deps;
    const periodMs = minutesToMs(this.intervals[type]);
    const now = clock.now();
    const firstDelay =
      state.lastRunAt === undefined ? 0 : Math.max(0, state.lastRunAt + periodMs - now);
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
    if (state.inFlight) {
      this.observe((o) => o.tickSkipped(type));
      return;
    }
    state.lastRunAt = now;
    const tick = this.tick(type, now).finally(() => {
      state.inFlight = undefined;
      this.inFlight.delete(tick);
    });
    state.inFlight = tick;
    this.inFlight.add(tick);
  }

  /** Never rejects: every failure is reported and the next tick tries again. */
  private async tick(type: SyncType, startedAt: number): Promise<void> {
    const { clock, agents, queue, runLog } = this.deps;
    const recorded = runLog.recordRun(type, startedAt).catch((error: unknown) => {
      this.observe((o) => o.runLogFailed?.(error));
    });
    let stage: TickStage = 'agentLookup';
    try {
      const agentIds = isSharedType(type) ? [] : await agents.listActiveAgentIds();
      const jobs = this.spread(buildSyncJobs(type, agentIds, startedAt));
      stage = 'enqueue';
      const result =
        jobs.length > 0 ? await queue.enqueue(jobs) : { added: 0, deduplicated: 0, fenced: 0 };
      const durationMs = clock.now() - startedAt;
      this.observe((o) => o.tickCompleted({ type, agents: jobs.length, ...result, durationMs }));
    } catch (error) {
      const durationMs = clock.now() - startedAt;
      this.observe((o) => o.tickFailed({ type, stage, error, durationMs }));
    }
    await recorded;
  }

  /** Agent jobs get a stable per-agent delay; the single shared job goes at once. */
  private spread(jobs: SyncJob[]): SyncJob[] {
    return jobs.map((job) =>
      isSharedType(job.type)
        ? job
        : { ...job, delayMs: spreadDelayMs(job.type, job.userId, this.intervals[job.type]) },
    );
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

const intervalsOf = (settings: SyncSettings): Intervals =>
  Object.fromEntries(SYNC_TYPES.map((t) => [t, settings.types[t].intervalMinutes])) as Intervals;

const enabledOf = (settings: SyncSettings): Record<SyncType, boolean> =>
  Object.fromEntries(SYNC_TYPES.map((t) => [t, settings.types[t].enabled])) as Record<
    SyncType,
    boolean
  >;
