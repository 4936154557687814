import { unavailable } from './errors.js';
import {
  minutesToMs,
  validateIntervalMinutes,
  validateIntervals,
  DEFAULT_INTERVALS,
  type Intervals,
} from './interval.js';
import type { AgentRegistry } from './ports/agent-registry.js';
import type { Cancel, Clock } from './ports/clock.js';
import type { JobQueue } from './ports/job-queue.js';
import type { SettingsStore } from './ports/settings-store.js';
import type { TickObserver, TickStage } from './ports/tick-observer.js';
import { buildSyncJobs } from './sync-jobs.js';
import { isSharedType, SYNC_TYPES, type SyncType } from './sync-types.js';

export interface SchedulerDeps {
  readonly clock: Clock;
  readonly queue: JobQueue;
  readonly agents: AgentRegistry;
  readonly settings: SettingsStore;
  readonly observer: TickObserver;
}

export interface TypeSchedule {
  readonly intervalMinutes: number;
  /** A tick of this type is in flight (looking agents up or enqueuing). */
  readonly ticking: boolean;
  readonly lastRunAt: number | null;
  readonly nextRunAt: number | null;
}

interface TypeState {
  cancel?: Cancel;
  lastRunAt?: number;
  nextRunAt?: number;
  inFlight?: Promise<void>;
}

/**
 * Decides when each sync type runs: one timer per type, each tick fanning out one job per
 * agent (or one shared job) in a single batch. Talks to the world only through its ports.
 */
export class Scheduler {
  private intervals: Intervals = DEFAULT_INTERVALS;
  private running = false;
  /** Bumped by start/stop so that a slow start() cannot resurrect a stopped scheduler. */
  private generation = 0;
  private readonly states = new Map<SyncType, TypeState>(SYNC_TYPES.map((t) => [t, {}]));
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: SchedulerDeps) {}

  /** Starts (or restarts) every type's timer; loads the saved intervals when none are given. */
  async start(intervals?: Intervals): Promise<void> {
    const generation = ++this.generation;
    const next = intervals ? validateIntervals(intervals) : await this.loadIntervals();
    if (generation !== this.generation) return;
    this.clearTimers();
    this.intervals = next;
    this.running = true;
    for (const type of SYNC_TYPES) this.schedule(type);
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

  /** Persists first; only a stored value replaces that one type's timer. */
  async updateInterval(type: SyncType, minutes: unknown): Promise<number> {
    const value = validateIntervalMinutes(minutes);
    try {
      await this.deps.settings.saveInterval(type, value);
    } catch (error) {
      throw unavailable(
        'The interval could not be saved: the settings store is unreachable.',
        error,
      );
    }
    this.intervals = { ...this.intervals, [type]: value };
    if (this.running) this.schedule(type);
    return value;
  }

  getDetailedIntervals(): Intervals {
    return { ...this.intervals };
  }

  getIntervals(): Record<SyncType, number> {
    const result = {} as Record<SyncType, number>;
    for (const type of SYNC_TYPES) result[type] = minutesToMs(this.intervals[type]);
    return result;
  }

  scheduleOf(type: SyncType): TypeSchedule {
    const state = this.state(type);
    return {
      intervalMinutes: this.intervals[type],
      ticking: state.inFlight !== undefined,
      lastRunAt: state.lastRunAt ?? null,
      nextRunAt: this.running ? (state.nextRunAt ?? null) : null,
    };
  }

  private async loadIntervals(): Promise<Intervals> {
    try {
      return validateIntervals(await this.deps.settings.loadIntervals());
    } catch (error) {
      throw unavailable(
        'The saved intervals could not be loaded: the settings store is unreachable.',
        error,
      );
    }
  }

  /** First tick one interval after the last run (or after now), then every interval. */
  private schedule(type: SyncType): void {
    const state = this.state(type);
    state.cancel?.();
    const { clock } = this.deps;
    const periodMs = minutesToMs(this.intervals[type]);
    const now = clock.now();
    const firstDelay = Math.max(0, (state.lastRunAt ?? now) + periodMs - now);
    state.nextRunAt = now + firstDelay;
    let cancelEvery: Cancel | undefined;
    const cancelFirst = clock.after(firstDelay, () => {
      this.fire(type, periodMs);
      cancelEvery = clock.every(periodMs, () => this.fire(type, periodMs));
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
    const tick = this.tick(type).finally(() => {
      state.inFlight = undefined;
      this.inFlight.delete(tick);
    });
    state.inFlight = tick;
    this.inFlight.add(tick);
  }

  /** Never rejects: every failure is reported and the next tick tries again. */
  private async tick(type: SyncType): Promise<void> {
    const { clock, agents, queue } = this.deps;
    const startedAt = clock.now();
    let stage: TickStage = 'agentLookup';
    try {
      const agentIds = isSharedType(type) ? [] : await agents.listActiveAgentIds();
      const jobs = buildSyncJobs(type, agentIds, startedAt);
      stage = 'enqueue';
      const result = jobs.length > 0 ? await queue.enqueue(jobs) : { added: 0, deduplicated: 0 };
      const durationMs = clock.now() - startedAt;
      this.observe((o) => o.tickCompleted({ type, agents: jobs.length, ...result, durationMs }));
    } catch (error) {
      const durationMs = clock.now() - startedAt;
      this.observe((o) => o.tickFailed({ type, stage, error, durationMs }));
    }
  }

  private observe(call: (observer: TickObserver) => void): void {
    try {
      call(this.deps.observer);
    } catch {
      // An observer must not throw; if one does, the schedule still goes on.
    }
  }

  private clearTimers(): void {
    for (const state of this.states.values()) {
      state.cancel?.();
      state.cancel = undefined;
      state.nextRunAt = undefined;
    }
  }

  private state(type: SyncType): TypeState {
    return this.states.get(type) as TypeState;
  }
}
