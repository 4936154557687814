import { InMemoryAgentRegistry } from '../../src/adapters/memory/in-memory-agent-registry.js';
import { InMemoryJobQueue } from '../../src/adapters/memory/in-memory-job-queue.js';
import { InMemorySettingsStore } from '../../src/adapters/memory/in-memory-settings-store.js';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { InMemoryRunLog } from '../../src/adapters/memory/in-memory-run-log.js';
import { RecordingTickObserver } from '../../src/adapters/memory/recording-tick-observer.js';
import { DEFAULT_INTERVALS, type Intervals } from '../../src/domain/interval.js';
import { Scheduler } from '../../src/domain/scheduler.js';
import { SYNC_TYPES } from '../../src/domain/sync-types.js';

export const MINUTE = 60_000;

export interface SchedulerFixtureOptions {
  agents?: string[];
  intervals?: Intervals;
  /** 'just-ran' (default): every type ran at the fixture's start, so each first tick is one
   * interval away; 'never': a fresh install, where every type ticks at once. */
  history?: 'just-ran' | 'never';
}

/** A Scheduler on in-memory adapters and a manual clock, with every part in reach. */
export function aScheduler(options: SchedulerFixtureOptions = {}) {
  const clock = new ManualClock();
  const runLog = new InMemoryRunLog();
  if ((options.history ?? 'just-ran') === 'just-ran') {
    for (const type of SYNC_TYPES) void runLog.recordRun(type, clock.now());
  }
  const queue = new InMemoryJobQueue();
  const agents = new InMemoryAgentRegistry(options.agents ?? ['a-1', 'a-2', 'a-3']);
  const settings = new InMemorySettingsStore(options.intervals ?? DEFAULT_INTERVALS);
  const observer = new RecordingTickObserver();
  const scheduler = new Scheduler({ clock, queue, agents, settings, runLog, observer });
  return { clock, queue, agents, settings, runLog, observer, scheduler };
}

/** Lets the ticks' promise chains run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances the manual clock and lets the ticks it fired finish. */
export async function advance(clock: ManualClock, ms: number): Promise<void> {
  await clock.advanceAndSettle(ms);
}
