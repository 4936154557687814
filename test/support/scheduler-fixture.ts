import { InMemoryAgentRegistry } from '../../src/adapters/memory/in-memory-agent-registry.js';
import type { InMemorySyncHistory } from '../../src/adapters/memory/in-memory-sync-history.js';
import type { InMemoryAgentStateStore } from '../../src/adapters/memory/in-memory-agent-state-store.js';
import { InMemoryJobQueue } from '../../src/adapters/memory/in-memory-job-queue.js';
import { InMemoryLeaderElection } from '../../src/adapters/memory/in-memory-leader-election.js';
import { InMemorySettingsStore } from '../../src/adapters/memory/in-memory-settings-store.js';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { InMemoryRunLog } from '../../src/adapters/memory/in-memory-run-log.js';
import { RecordingTickObserver } from '../../src/adapters/memory/recording-tick-observer.js';
import { InMemoryReleaseLedger } from '../../src/adapters/memory/in-memory-release-ledger.js';
import type { BudgetLimits } from '../../src/application/release-plan.js';
import { SchedulingService } from '../../src/application/scheduling-service.js';
import type { TypeSettingsPatch } from '../../src/domain/ports/settings-store.js';
import type { SpreadMode } from '../../src/domain/spread.js';
import type { WorkingWindow } from '../../src/domain/working-hours.js';
import { DEFAULT_INTERVALS, type Intervals } from '../../src/domain/interval.js';
import { SYNC_TYPES, type SyncType } from '../../src/domain/sync-types.js';

export const MINUTE = 60_000;

export interface SchedulerFixtureOptions {
  agents?: string[];
  intervals?: Intervals;
  /** 'just-ran' (default): every type ran at the fixture's start, so each first tick is one
   * interval away; 'never': a fresh install, where every type ticks at once. */
  history?: 'just-ran' | 'never';
  /** Default true: the election grants this replica a lease as soon as `start()` is called. */
  leader?: boolean;
  /** Per-agent state and breakers (default: none, every pair is sent). */
  agentState?: InMemoryAgentStateStore;
  erpProbeSize?: number;
  /** Where ticks record their decisions (default: none). */
  syncHistory?: InMemorySyncHistory;
  /** A release budget (default: none, ticks enqueue at once). */
  budget?: BudgetLimits;
  /** Shared with another scheduler (a handover); default a fresh one. */
  ledger?: InMemoryReleaseLedger;
  queue?: InMemoryJobQueue;
  /** Each pair's last success, per type (default: none known). */
  lastSuccesses?: Partial<Record<SyncType, ReadonlyMap<string, number>>>;
  spreadMode?: SpreadMode;
  minuteMs?: number;
  /** Epoch ms the manual clock starts at (default 2026-01-01 08:00 UTC, a Thursday). */
  clockStart?: number;
}

/**
 * A SchedulingService on in-memory adapters and a manual clock, with every part in reach. It
 * starts as a follower with no desired state; `start()` plays the boot: the election begins
 * (granting a lease unless `leader: false`) and the stored state is applied.
 */
export function aScheduler(options: SchedulerFixtureOptions = {}) {
  const clock = new ManualClock(options.clockStart);
  const runLog = new InMemoryRunLog();
  if ((options.history ?? 'just-ran') === 'just-ran') {
    for (const type of SYNC_TYPES) void runLog.recordRun(type, clock.now());
  }
  const leadership = new InMemoryLeaderElection(options.leader ?? true);
  const queue = options.queue ?? new InMemoryJobQueue(() => leadership.holder());
  const ledger = options.ledger ?? new InMemoryReleaseLedger((options.minuteMs ?? MINUTE) / 60);
  const lastSuccesses = options.lastSuccesses;
  const agents = new InMemoryAgentRegistry(options.agents ?? ['a-1', 'a-2', 'a-3']);
  const settings = new InMemorySettingsStore(options.intervals ?? DEFAULT_INTERVALS);
  const observer = new RecordingTickObserver();
  const scheduler = new SchedulingService({
    clock,
    queue,
    agents,
    runLog,
    observer,
    ...(options.agentState ? { agentState: options.agentState } : {}),
    ...(options.erpProbeSize ? { erpProbeSize: options.erpProbeSize } : {}),
    ...(options.syncHistory ? { history: options.syncHistory } : {}),
    ...(options.budget ? { budget: { limits: options.budget, inspector: queue, ledger } } : {}),
    ...(lastSuccesses
      ? { lastSuccesses: async (type: SyncType) => lastSuccesses[type] ?? new Map() }
      : {}),
    ...(options.spreadMode ? { spreadMode: options.spreadMode } : {}),
    ...(options.minuteMs ? { minuteMs: options.minuteMs } : {}),
  });
  let electing = false;
  const elect = (): void => {
    if (electing) return;
    electing = true;
    leadership.start(
      (isLeader) => void scheduler.setLeader(isLeader ? leadership.currentLease() : null),
    );
  };
  return {
    clock,
    queue,
    ledger,
    agents,
    settings,
    runLog,
    observer,
    scheduler,
    leadership,
    /** Boot: campaign, then apply the stored state (running, unless stored otherwise). */
    async start(): Promise<void> {
      elect();
      scheduler.apply(await settings.loadSettings());
      await settle();
    },
    /** An operator's start: store "running" and apply what was stored. */
    async run(): Promise<void> {
      elect();
      scheduler.apply(await settings.saveRunning(true));
      await settle();
    },
    async stop(): Promise<void> {
      scheduler.apply(await settings.saveRunning(false));
    },
    async setInterval(type: SyncType, minutes: number): Promise<void> {
      scheduler.apply(await settings.saveInterval(type, minutes));
    },
    async setEnabled(type: SyncType, enabled: boolean): Promise<void> {
      scheduler.apply(await settings.saveEnabled(type, enabled));
    },
    async setTypeSettings(type: SyncType, patch: TypeSettingsPatch): Promise<void> {
      scheduler.apply(await settings.saveTypeSettings(type, patch));
    },
    async setWindow(type: SyncType, window: WorkingWindow | null): Promise<void> {
      scheduler.apply(await settings.saveWindow(type, window));
    },
  };
}

/** Lets the ticks' promise chains run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances the manual clock and lets the ticks it fired finish. */
export async function advance(clock: ManualClock, ms: number): Promise<void> {
  await clock.advanceAndSettle(ms);
}
