import { InMemoryAgentRegistry } from '../src/adapters/memory/in-memory-agent-registry.js';
import { InMemoryJobQueue } from '../src/adapters/memory/in-memory-job-queue.js';
import { InMemoryRunLog } from '../src/adapters/memory/in-memory-run-log.js';
import { InMemorySettingsStore } from '../src/adapters/memory/in-memory-settings-store.js';
import { ManualClock } from '../src/adapters/memory/manual-clock.js';
import type { TickObserver } from '../src/domain/ports/tick-observer.js';
import { InMemoryLeaderElection } from '../src/adapters/memory/in-memory-leader-election.js';
import { SchedulingService } from '../src/application/scheduling-service.js';
import { SYNC_TYPES } from '../src/domain/sync-types.js';
import type { Intervals } from '../src/domain/interval.js';
import {
  agentIds,
  checksTable,
  fmt,
  fmtInt,
  interleave,
  median,
  progress,
  spread,
  table,
  time,
  type Benchmark,
  type Check,
} from './support.js';

/** Steps of the manual clock; each one fires all six types once. */
const STEPS = 10_000;
const WARM_UP_STEPS = 500;
const AGENTS = 100;
const ROUNDS = 3;
const STEP_MS = 5 * 60_000;
const MB = 1024 * 1024;
const EVERY_FIVE_MINUTES = Object.fromEntries(SYNC_TYPES.map((t) => [t, 5])) as Intervals;

/** Counts, and remembers nothing: RecordingTickObserver would grow by design. */
class CountingTickObserver implements TickObserver {
  completed = 0;
  failed = 0;
  skipped = 0;
  tickCompleted(): void {
    this.completed++;
  }
  tickFailed(): void {
    this.failed++;
  }
  tickSkipped(): void {
    this.skipped++;
  }
}

async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('global.gc is missing: run node with --expose-gc (npm run bench does)');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Heap growth (bytes) over STEPS steps, measured while the scheduler is still alive. */
async function schedulerGrowth(ticks: number[]): Promise<number> {
  const clock = new ManualClock();
  const queue = new InMemoryJobQueue();
  const observer = new CountingTickObserver();
  const settings = new InMemorySettingsStore(EVERY_FIVE_MINUTES);
  const leadership = new InMemoryLeaderElection(true);
  const scheduler = new SchedulingService({
    clock,
    queue,
    agents: new InMemoryAgentRegistry(agentIds(AGENTS)),
    runLog: new InMemoryRunLog(),
    observer,
  });
  leadership.start(() => {});
  const step = async (): Promise<void> => {
    await clock.advanceAndSettle(STEP_MS);
    // The in-memory queue keeps pending jobs and every batch for assertions: drain both, as
    // workers would, so only the scheduler's own memory is measured.
    queue.completeAll();
    queue.batches.length = 0;
  };
  scheduler.apply(await settings.loadSettings());
  await scheduler.setLeader(leadership.currentLease());
  for (let i = 0; i < WARM_UP_STEPS; i++) await step();
  const before = await heapAfterGc();
  const completedBefore = observer.completed;
  for (let i = 0; i < STEPS; i++) await step();
  const after = await heapAfterGc();
  ticks.push(observer.completed - completedBefore);
  scheduler.close();
  await scheduler.drain();
  if (observer.failed > 0 || observer.skipped > 0) {
    throw new Error(`${observer.failed} ticks failed, ${observer.skipped} skipped`);
  }
  return after - before;
}

/** The same number of manual-clock steps with no timers at all. */
async function emptyLoopGrowth(): Promise<number> {
  const clock = new ManualClock();
  for (let i = 0; i < WARM_UP_STEPS; i++) await clock.advanceAndSettle(STEP_MS);
  const before = await heapAfterGc();
  for (let i = 0; i < STEPS; i++) await clock.advanceAndSettle(STEP_MS);
  return (await heapAfterGc()) - before;
}

export const memory: Benchmark = {
  name: 'memory',
  async run() {
    const ticks: number[] = [];
    const durations: number[] = [];
    let round = 0;
    const results = await interleave(ROUNDS, [
      { name: 'empty', run: () => emptyLoopGrowth() },
      {
        name: 'scheduler',
        run: async () => {
          progress(`memory round ${++round}/${ROUNDS}`);
          let growth = 0;
          durations.push(await time(async () => (growth = await schedulerGrowth(ticks))));
          return growth;
        },
      },
    ]);
    const scheduler = results.get('scheduler') ?? [];
    const empty = results.get('empty') ?? [];
    const excess = scheduler.map((value, i) => value - (empty[i] ?? Number.NaN));
    const worst = Math.max(...scheduler);
    const checks: Check[] = [
      {
        label: `heap growth over ${fmtInt(STEPS)} steps (worst round)`,
        target: '< 5 MB',
        measured: `${fmt(worst / MB)} MB`,
        pass: worst < 5 * MB,
      },
    ];
    const mb = (values: number[]) => values.map((v) => v / MB);
    const body = [
      `Scheduler on in-memory adapters and a ManualClock, all six types every 5 minutes, ` +
        `${AGENTS} agents; ${fmtInt(STEPS)} clock steps of 5 minutes (each fires every type: ` +
        `${fmtInt(median(ticks))} ticks per round, ${fmtInt((median(ticks) * AGENTS * 4) / 6)} agent ` +
        `jobs) after ${WARM_UP_STEPS} warm-up steps; queue drained (completeAll) after every step; ` +
        `a counting, non-recording TickObserver. Heap after three global.gc() passes, before and ` +
        `after, with the scheduler still alive. Baseline: the same number of steps on a ManualClock ` +
        `with no timers. ${ROUNDS} interleaved rounds. Both growths are near zero, so the baseline ` +
        `is subtracted rather than divided (a ratio of two noise figures means nothing).`,
      '',
      table(
        ['figure', 'median (min–max)'],
        [
          ['scheduler heap growth − empty loop growth (MB)', spread(mb(excess), 3)],
          ['scheduler heap growth (MB)', spread(mb(scheduler), 3)],
          ['empty loop heap growth (MB)', spread(mb(empty), 3)],
          [
            'time per scheduler round (s)',
            spread(
              durations.map((d) => d / 1000),
              1,
            ),
          ],
        ],
      ),
      '',
      checksTable(checks),
    ].join('\n');
    return { title: 'Memory: 10,000 manual-clock steps of the Scheduler', body, checks };
  },
};
