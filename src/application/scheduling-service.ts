import { unavailable } from '../domain/errors.js';
import { defaultTypeSettings, enabledOf, intervalsOf, isNewer } from '../domain/desired-state.js';
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
import type { QueueInspector } from '../domain/ports/queue-inspector.js';
import type { ReleaseLedger } from '../domain/ports/release-ledger.js';
import type { RunLog } from '../domain/ports/run-log.js';
import type { SyncSettings, TypeSettings } from '../domain/ports/settings-store.js';
import type { DecisionClass, SyncHistory, TickDecision } from '../domain/ports/sync-history.js';
import type { ReleaseReport, TickObserver, TickStage } from '../domain/ports/tick-observer.js';
import {
  hasBudget,
  ReleasePlan,
  releaseCapacity,
  type BudgetLimits,
  type PlannedRelease,
} from './release-plan.js';
import { firstTickDelayMs } from '../domain/schedule.js';
import { agentPhase, spreadDelayMs, spreadWindowMs, type SpreadMode } from '../domain/spread.js';
import {
  DEFAULT_TIER_RULES,
  dueThisTick,
  multiplierOf,
  tierOf,
  type AgentActivity,
  type TierRules,
} from '../domain/activity.js';
import { isWindowOpen } from '../domain/working-hours.js';
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
  /** When an agent counts as active or idle (already scaled by the minute). */
  readonly tierRules?: TierRules;
  /** The fleet-wide release budget; without it (or with no limit set) ticks enqueue at once. */
  readonly budget?: SchedulingBudget;
  /** Each pair's last success, for "most stale first"; without it every pair counts as never. */
  readonly lastSuccesses?: (type: SyncType) => Promise<ReadonlyMap<string, number>>;
}

export interface SchedulingBudget {
  readonly limits: BudgetLimits;
  /** What the queue holds right now (in flight = waiting + delayed + prioritized + active). */
  readonly inspector: QueueInspector;
  /** Releases per rolling minute and the manual triggers waiting, shared by every replica. */
  readonly ledger: ReleaseLedger;
  /** How often the release loop runs (default a thirtieth of the scheduler minute, ≤ 2 s). */
  readonly releaseEveryMs?: number;
}

/** What the budget is doing, for /monitoring/status; only the leader knows the waiting pairs. */
export interface BudgetStatus {
  readonly maxInFlight: number | null;
  readonly maxPerMinute: number | null;
  /** Pairs waiting for the budget on this replica (the leader), per type. */
  readonly waiting: Readonly<Record<SyncType, number>>;
  /** Time the budget needs to release each type's fleet over its interval; null = not known yet. */
  readonly cycleRatio: Readonly<Record<SyncType, number | null>>;
}

/** Manual pairs taken from the shared ledger per release pass. */
const MANUAL_BATCH = 10_000;

/** Agents a tick walks in one synchronous block before it yields (dueJobs). */
export const TICK_BUILD_SLICE = 10_000;

interface CycleState {
  /** Pairs the last tick planned. */
  size: number;
  /** When the last tick planned them. */
  tickAt?: number;
  /** That tick's pairs were all released (measured is final). */
  closed: boolean;
  /** (time to release the last tick's pairs) / interval, measured. */
  measured: number;
  ratio: number | null;
  over: boolean;
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
  /** Pairs waiting for the release budget (leader only). */
  private readonly plan = new ReleasePlan();
  private readonly cycles = new Map<SyncType, CycleState>();
  private cancelRelease: Cancel | undefined;
  private passRunning: Promise<ReadonlyMap<SyncType, ReleaseReport>> | undefined;
  private passQueued: Promise<ReadonlyMap<SyncType, ReleaseReport>> | undefined;

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

  /**
   * Throws "unavailable" until a stored desired state has been applied: before it, the
   * defaults this replica falls back on are not the settings in force (a replica booting while
   * PostgreSQL is down would report them as if they were; RELIABILITY.md, finding 5).
   */
  assertSettingsLoaded(): void {
    if (!this.desired) {
      throw unavailable(
        'The settings in force have not been loaded yet: the settings store is unreachable.',
      );
    }
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
    this.startReleaseLoop();
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

  /** The type's applied settings (multipliers, window ...); a fresh install's before any. */
  settingsOf(type: SyncType): TypeSettings {
    return this.desired?.types[type] ?? defaultTypeSettings(type);
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
    if (!this.shouldTick(type)) {
      this.plan.dropScheduled(type);
      return;
    }
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
    // A tick that fails or sends nothing is recorded when it ends; one that sends, just before
    // its jobs go (below). A failed enqueue still counts as a run.
    let ran = true;
    try {
      const settings = this.settingsOf(type);
      const closed = settings.window
        ? !isWindowOpen(settings.window, startedAt, this.minuteMs)
        : false;
      // The breakers (and, under a budget, the last successes) are read beside the agent
      // lookup: one round trip for all. Outside the working hours neither is needed.
      const breakers = closed ? Promise.resolve(null) : this.readBreakers(type, startedAt);
      const successes = this.budgeted && !closed ? this.readLastSuccesses(type) : undefined;
      const { jobs: built, notDue } = isSharedType(type)
        ? { jobs: buildSyncJobs(type, [], startedAt), notDue: 0 }
        : await this.dueJobs(
            type,
            await agents.listAgents(),
            await agents.activityKnown(),
            startedAt,
          );
      const tiers = notDue > 0 ? { notDueTier: notDue } : {};
      if (closed) {
        // Nothing goes; the first tick inside the window releases what fell due.
        this.recordDecisions(type, startedAt, { skipped_window: built.length });
        this.observe((o) =>
          o.tickCompleted({
            type,
            agents: built.length,
            added: 0,
            deduplicated: 0,
            fenced: 0,
            skippedWindow: built.length,
            ...tiers,
            durationMs: clock.now() - startedAt,
          }),
        );
        return;
      }
      stage = 'breakers';
      const gated = await this.gate(await breakers, built, startedAt);
      const jobs = gated.send;
      if (this.budgeted) {
        stage = 'release';
        const report = await this.planTick(type, startedAt, gated, await successes);
        this.recordDecisions(type, startedAt, { skipped_breaker: gated.skipped });
        this.observe((o) =>
          o.tickCompleted({
            type,
            agents: built.length,
            ...report,
            skippedBreaker: gated.skipped,
            ...tiers,
            durationMs: clock.now() - startedAt,
          }),
        );
        return;
      }
      stage = 'enqueue';
      if (jobs.length > 0) {
        // Before the jobs, not once they settled: a leader killed after its jobs reached Redis
        // would leave the previous run behind, and its successor would fire the type again
        // at once, a second job within one interval for every pair already done (RELIABILITY.md,
        // finding 3). The run log's Redis write goes out on the producer's connection ahead of
        // the jobs. A stale leader is stopped by the fence, not by the run log: if the lease
        // passed meanwhile, it records nothing here; one the key refuses although its lease
        // still looks valid moves no phase its successor keeps (the Redis run log only raises a
        // run, and the successor's are newer) but may postpone one reader's next tick.
        if (lease.isValid()) this.recordRun(type, startedAt);
        ran = false;
      }
      const result =
        jobs.length > 0
          ? await queue.enqueue(jobs, lease)
          : { added: 0, deduplicated: 0, fenced: 0 };
      if (result.fenced > 0) {
        this.observe((o) => o.tickFenced?.({ type, at: 'chunk', jobs: result.fenced }));
      } else {
        this.afterEnqueue(type, jobs, gated.probes, startedAt);
        this.recordDecisions(type, startedAt, {
          released: result.added,
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
          ...tiers,
          durationMs,
        }),
      );
    } catch (error) {
      const durationMs = clock.now() - startedAt;
      this.observe((o) => o.tickFailed({ type, stage, error, durationMs }));
    } finally {
      if (ran) this.recordRun(type, startedAt);
    }
  }

  /**
   * Under a budget a tick only plans: its pairs join the release plan (a pair already
   * waiting is not planned twice) and one release pass runs at once; the tick's report is
   * what that pass did for its type. In `interval` mode each pair is due at the tick plus its
   * offset (level load); in `window` mode the whole tick is due at once and the budget paces
   * it, most stale first.
   */
  private async planTick(
    type: SyncType,
    at: number,
    gated: GatedJobs,
    successes: ReadonlyMap<string, number> | null | undefined,
  ): Promise<{ added: number; deduplicated: number; fenced: number; deferredBudget: number }> {
    const left = this.plan.oldestPlannedAt(type);
    const interval = this.deps.spreadMode === 'interval';
    this.plan.offer({
      jobs: interval ? gated.send : gated.send.map(({ delayMs: _delay, ...job }) => job),
      at,
      manual: false,
      lastSuccessOf: (job) => successes?.get(job.userId),
    });
    // The probes are out as far as the breakers go: the plan sends them in their turn.
    this.afterEnqueue(type, [], gated.probes, at);
    this.updateCycle(type, at, gated.send.length, left);
    const pass = (await this.releaseSoon()).get(type);
    return {
      added: pass?.added ?? 0,
      deduplicated: pass?.deduplicated ?? 0,
      fenced: 0,
      deferredBudget: this.plan.waiting(type),
    };
  }

  /**
   * The jobs this tick sends, one per agent it syncs: every active one; an idle or offline one
   * only on its turn, one tick in its tier's multiplier (0: never), picked by a stable
   * per-agent phase so that every replica picks the same and idle agents spread over the ticks.
   * Activity unknown (no column in the host's users table): everyone is active. Each job is
   * delayed by its agent's stable spread offset. A roster larger than TICK_BUILD_SLICE is walked
   * in slices of it, each in its own turn of the event loop: 100,000 agents in one block held
   * the loop for ~0.4 s (BENCHMARKS.md §8).
   */
  private async dueJobs(
    type: SyncType,
    roster: readonly AgentActivity[],
    activityKnown: boolean,
    at: number,
  ): Promise<{ jobs: SyncJob[]; notDue: number }> {
    const rules = activityKnown ? (this.deps.tierRules ?? DEFAULT_TIER_RULES) : null;
    const multipliers = this.settingsOf(type);
    const tickIndex = Math.round(at / this.periodOf(type));
    const windowMs = this.spreadWindowOf(type);
    const jobs: SyncJob[] = [];
    for (let start = 0; start < roster.length; start += TICK_BUILD_SLICE) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      const end = Math.min(roster.length, start + TICK_BUILD_SLICE);
      for (let i = start; i < end; i++) {
        const agent = roster[i] as AgentActivity;
        const multiplier = multiplierOf(tierOf(agent.lastActivityAt, at, rules), multipliers);
        const phase = Math.floor(agentPhase(type, agent.id) * multiplier);
        if (!dueThisTick(multiplier, tickIndex, phase)) continue;
        const delayMs = spreadDelayMs(type, agent.id, windowMs);
        jobs.push({ type, userId: agent.id, timestamp: at, delayMs });
      }
    }
    return { jobs, notDue: roster.length - jobs.length };
  }

  private get budgeted(): boolean {
    return hasBudget(this.deps.budget?.limits);
  }

  private async readLastSuccesses(type: SyncType): Promise<ReadonlyMap<string, number> | null> {
    const read = this.deps.lastSuccesses;
    if (!read) return null;
    try {
      return await read(type);
    } catch (error) {
      // Without them every pair counts as equally stale; the budget still holds.
      this.observe((o) => o.agentStateFailed?.(error));
      return null;
    }
  }

  private startReleaseLoop(): void {
    const budget = this.deps.budget;
    if (!this.budgeted || !budget || this.cancelRelease) return;
    const everyMs = budget.releaseEveryMs ?? Math.min(2_000, Math.max(10, this.minuteMs / 30));
    this.cancelRelease = this.deps.clock.every(everyMs, () => void this.releaseSoon());
  }

  /** One release pass at a time; a call during one runs one more pass right after it. */
  private releaseSoon(): Promise<ReadonlyMap<SyncType, ReleaseReport>> {
    if (!this.passRunning) {
      const pass = this.releaseOnce().finally(() => {
        this.passRunning = undefined;
        this.inFlight.delete(tracked);
      });
      const tracked = pass.then(() => undefined);
      this.inFlight.add(tracked);
      this.passRunning = pass;
      return pass;
    }
    this.passQueued ??= this.passRunning.then(() => {
      this.passQueued = undefined;
      return this.releaseSoon();
    });
    return this.passQueued;
  }

  /**
   * Takes the manual pairs waiting in the ledger, then releases the due pairs, most stale
   * first, as far as the budget allows now: in flight counted by the queue itself, the rolling
   * minute by the shared ledger, so both hold across handovers. Every send is fenced; a
   * refused one ends leadership's plan. Never rejects.
   */
  private async releaseOnce(): Promise<ReadonlyMap<SyncType, ReleaseReport>> {
    const reports = new Map<SyncType, { added: number; deduplicated: number; deferred: number }>();
    const budget = this.deps.budget;
    const lease = this.lease;
    if (!budget || !lease?.isValid()) return new Map();
    const { clock, queue } = this.deps;
    const now = clock.now();
    const report = (type: SyncType) => {
      let entry = reports.get(type);
      if (!entry) reports.set(type, (entry = { added: 0, deduplicated: 0, deferred: 0 }));
      return entry;
    };
    try {
      await this.takeManual(budget, now);
      // Scheduled pairs of a type whose working hours closed wait for them to open again.
      const open = new Map<SyncType, boolean>();
      const isOpen = (type: SyncType): boolean => {
        let known = open.get(type);
        if (known === undefined) {
          const window = this.settingsOf(type).window;
          known = window ? isWindowOpen(window, now, this.minuteMs) : true;
          open.set(type, known);
        }
        return known;
      };
      const due = this.plan.due(now).filter((entry) => entry.manual || isOpen(entry.job.type));
      if (due.length === 0) return new Map();
      const { limits, inspector, ledger } = budget;
      const [inFlight, released] = await Promise.all([
        limits.maxInFlight === undefined ? 0 : inspector.counts().then(inFlightOf),
        limits.maxPerMinute === undefined ? 0 : ledger.releasedWithin(this.minuteMs, now),
      ]);
      const capacity = releaseCapacity(limits, inFlight, released);
      const take = due.slice(0, capacity);
      for (const entry of due.slice(capacity)) {
        if (entry.counted) continue;
        entry.counted = true;
        report(entry.job.type).deferred++;
      }
      for (const [type, entries] of byType(take)) {
        const jobs = entries.map((entry) => entry.job);
        const result = await queue.enqueue(jobs, lease);
        if (result.fenced > 0) {
          this.returnManual(this.plan.clear());
          this.observe((o) => o.tickFenced?.({ type, at: 'release', jobs: result.fenced }));
          break;
        }
        this.plan.remove(entries);
        report(type).added += result.added;
        report(type).deduplicated += result.deduplicated;
        if (result.added > 0) await ledger.recordReleased(result.added, now);
        this.afterEnqueue(type, jobs, [], now);
      }
    } catch (error) {
      this.observe((o) => o.releaseFailed?.(error));
    }
    const done = new Map<SyncType, ReleaseReport>();
    for (const [type, counts] of reports) {
      const waiting = this.plan.waiting(type);
      done.set(type, { type, ...counts, waiting });
      this.closeCycle(type, now);
      this.recordDecisions(type, now, {
        released: counts.added,
        deduplicated: counts.deduplicated,
        deferred_budget: counts.deferred,
      });
      this.observe((o) => o.released?.({ type, ...counts, waiting }));
    }
    return done;
  }

  private returnManual(entries: readonly PlannedRelease[]): void {
    const ledger = this.deps.budget?.ledger;
    if (!ledger || entries.length === 0) return;
    this.track(
      (error) => this.observe((o) => o.releaseFailed?.(error)),
      ledger.deferManual(
        entries.map(({ job, lastSuccessAt }) => ({
          type: job.type,
          userId: job.userId,
          lastSuccessAt,
        })),
      ),
    );
  }

  /** Manual triggers for every agent wait in the shared ledger until the leader takes them. */
  private async takeManual(budget: SchedulingBudget, now: number): Promise<void> {
    const pairs = await budget.ledger.takeManual(MANUAL_BATCH);
    if (pairs.length === 0) return;
    const lastSuccess = new Map(pairs.map((pair) => [`${pair.type}\u0000${pair.userId}`, pair]));
    this.plan.offer({
      jobs: pairs.map(({ type, userId }) => ({ type, userId, timestamp: now })),
      at: now,
      manual: true,
      lastSuccessOf: (job) => lastSuccess.get(`${job.type}\u0000${job.userId}`)?.lastSuccessAt,
    });
  }

  /**
   * The cycle ratio after a tick: predicted from the per-minute limit and every type's demand,
   * measured from how long the previous tick's pairs took to go out (at least one interval if
   * some are still waiting). Reported each tick; `changed` when it crosses 1.
   */
  private updateCycle(type: SyncType, at: number, size: number, oldestLeft?: number): void {
    const cycle = this.cycleOf(type);
    const periodMs = this.periodOf(type);
    if (oldestLeft !== undefined) {
      cycle.measured = Math.max(cycle.measured, (at - oldestLeft) / periodMs);
    }
    cycle.size = size;
    cycle.tickAt = at;
    cycle.closed = false;
    const maxPerMinute = this.deps.budget?.limits.maxPerMinute;
    let predicted = 0;
    if (maxPerMinute !== undefined) {
      let demandPerMinute = 0;
      for (const t of SYNC_TYPES) demandPerMinute += this.cycleOf(t).size / this.intervalOf(t);
      predicted = demandPerMinute / maxPerMinute;
    }
    const ratio = Math.max(predicted, cycle.measured);
    const over = ratio > 1;
    const changed = over !== cycle.over;
    cycle.ratio = ratio;
    cycle.over = over;
    this.observe((o) => o.budgetCycle?.({ type, ratio, changed }));
  }

  /** The last tick's pairs of `type` all went: the measured part of its ratio is final. */
  private closeCycle(type: SyncType, now: number): void {
    const cycle = this.cycleOf(type);
    if (cycle.closed || cycle.tickAt === undefined) return;
    if (this.plan.oldestPlannedAt(type) !== undefined) return;
    cycle.closed = true;
    cycle.measured = (now - cycle.tickAt) / this.periodOf(type);
  }

  private cycleOf(type: SyncType): CycleState {
    let cycle = this.cycles.get(type);
    if (!cycle) {
      cycle = { size: 0, closed: true, measured: 0, ratio: null, over: false };
      this.cycles.set(type, cycle);
    }
    return cycle;
  }

  /** Null without a budget. */
  budgetStatus(): BudgetStatus | null {
    const limits = this.deps.budget?.limits;
    if (!hasBudget(limits)) return null;
    const waiting = {} as Record<SyncType, number>;
    const cycleRatio = {} as Record<SyncType, number | null>;
    for (const type of SYNC_TYPES) {
      waiting[type] = this.plan.waiting(type);
      cycleRatio[type] = this.cycles.get(type)?.ratio ?? null;
    }
    return {
      maxInFlight: limits.maxInFlight ?? null,
      maxPerMinute: limits.maxPerMinute ?? null,
      waiting,
      cycleRatio,
    };
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
  private afterEnqueue(
    type: SyncType,
    jobs: readonly SyncJob[],
    probes: readonly string[],
    at: number,
  ): void {
    const store = this.deps.agentState;
    if (!store || (jobs.length === 0 && probes.length === 0)) return;
    this.track(
      (error) => this.observe((o) => o.agentStateFailed?.(error)),
      Promise.all([
        jobs.length > 0
          ? store.recordEnqueued(
              type,
              jobs.map((job) => job.userId),
              at,
            )
          : undefined,
        probes.length > 0 ? store.markProbing(type, probes) : undefined,
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
    this.cancelRelease?.();
    this.cancelRelease = undefined;
    // What was waiting is planned again by the next leader's ticks; the manual pairs go back
    // to the shared ledger for it (best effort: if Redis is what cost the lease, they are lost).
    this.returnManual(this.plan.clear());
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

const inFlightOf = (counts: {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly prioritized: number;
}): number => counts.waiting + counts.active + counts.delayed + counts.prioritized;

function byType(entries: readonly PlannedRelease[]): Map<SyncType, PlannedRelease[]> {
  const groups = new Map<SyncType, PlannedRelease[]>();
  for (const entry of entries) {
    const group = groups.get(entry.job.type);
    if (group) group.push(entry);
    else groups.set(entry.job.type, [entry]);
  }
  return groups;
}
