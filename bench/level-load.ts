import { InMemoryAgentRegistry } from '../src/adapters/memory/in-memory-agent-registry.js';
import { InMemoryLeaderElection } from '../src/adapters/memory/in-memory-leader-election.js';
import { InMemoryReleaseLedger } from '../src/adapters/memory/in-memory-release-ledger.js';
import { InMemoryRunLog } from '../src/adapters/memory/in-memory-run-log.js';
import { InMemorySettingsStore } from '../src/adapters/memory/in-memory-settings-store.js';
import { ManualClock } from '../src/adapters/memory/manual-clock.js';
import { RecordingTickObserver } from '../src/adapters/memory/recording-tick-observer.js';
import type { BudgetLimits } from '../src/application/release-plan.js';
import { SchedulingService } from '../src/application/scheduling-service.js';
import { DEFAULT_INTERVALS } from '../src/domain/interval.js';
import type { EnqueueResult, JobQueue, SyncJob } from '../src/domain/ports/job-queue.js';
import type { QueueCounts, QueueInspector } from '../src/domain/ports/queue-inspector.js';
import type { SpreadMode } from '../src/domain/spread.js';
import { SYNC_TYPES } from '../src/domain/sync-types.js';
import { dedupKey } from '../src/domain/sync-jobs.js';
import { agentIds, fmt, fmtInt, progress, table, type Benchmark, type Check } from './support.js';

const AGENTS = 10_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** How long the simulated worker takes per job once it is released. */
const WORK_MS = 5_000;
/** The simulated clock advances this much at a time (the release loop runs every 2 s). */
const STEP_MS = 1_000;

/**
 * A queue on the simulated clock that remembers when each job became available to a worker
 * (its add time plus its delay, or the add time alone for the seed's behaviour) and finishes
 * it WORK_MS later, so deduplication and the in-flight count behave as with real workers.
 */
class SimulatedQueue implements JobQueue, QueueInspector {
  readonly releases: number[] = [];
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly clock: ManualClock,
    private readonly honourDelays: boolean,
  ) {}

  async enqueue(jobs: readonly SyncJob[]): Promise<EnqueueResult> {
    let added = 0;
    const now = this.clock.now();
    for (const job of jobs) {
      const key = dedupKey(job.type, job.userId);
      if (this.pending.has(key)) continue;
      const releaseAt = now + (this.honourDelays ? (job.delayMs ?? 0) : 0);
      this.pending.set(key, releaseAt);
      this.releases.push(releaseAt);
      added++;
    }
    return { added, deduplicated: jobs.length - added, fenced: 0 };
  }

  /** The worker: every job released WORK_MS ago is done. */
  work(now: number): void {
    for (const [key, releaseAt] of this.pending)
      if (releaseAt + WORK_MS <= now) this.pending.delete(key);
  }

  async counts(): Promise<QueueCounts> {
    const now = this.clock.now();
    let delayed = 0;
    let active = 0;
    for (const releaseAt of this.pending.values()) {
      if (releaseAt > now) delayed++;
      else active++;
    }
    return { waiting: 0, active, completed: 0, failed: 0, delayed, prioritized: 0 };
  }

  async activeJobs() {
    return [];
  }
}

interface Scenario {
  readonly name: string;
  readonly spreadMode: SpreadMode;
  readonly honourDelays: boolean;
  readonly budget?: BudgetLimits;
}

interface Result {
  readonly scenario: Scenario;
  readonly total: number;
  readonly mean: number;
  readonly peak: number;
  readonly ratio: number;
  readonly maxInFlight: number;
}

/** Releases per hour of the default intervals for `agents` agents (and the shared jobs). */
const hourlyDemand = (agents: number): number =>
  SYNC_TYPES.reduce(
    (sum, type) =>
      sum +
      (60 / DEFAULT_INTERVALS[type]) * (type === 'products' || type === 'prices' ? 1 : agents),
    0,
  );

async function simulate(scenario: Scenario): Promise<Result> {
  const clock = new ManualClock();
  const start = clock.now();
  const queue = new SimulatedQueue(clock, scenario.honourDelays);
  const leadership = new InMemoryLeaderElection(true);
  const scheduler = new SchedulingService({
    clock,
    queue,
    agents: new InMemoryAgentRegistry(agentIds(AGENTS)),
    runLog: new InMemoryRunLog(),
    observer: new RecordingTickObserver(),
    spreadMode: scenario.spreadMode,
    ...(scenario.budget
      ? {
          budget: {
            limits: scenario.budget,
            inspector: queue,
            ledger: new InMemoryReleaseLedger(MINUTE / 60),
          },
        }
      : {}),
  });
  leadership.start(
    (isLeader) => void scheduler.setLeader(isLeader ? leadership.currentLease() : null),
  );
  scheduler.apply(await new InMemorySettingsStore().loadSettings());
  let maxInFlight = 0;
  for (let t = 0; t < HOUR; t += STEP_MS) {
    await clock.advanceAndSettle(STEP_MS);
    await scheduler.drain();
    queue.work(clock.now());
    const { active, delayed } = await queue.counts();
    maxInFlight = Math.max(maxInFlight, active + delayed);
  }
  scheduler.close();
  const perMinute = Array.from({ length: 60 }, () => 0);
  let total = 0;
  for (const at of queue.releases) {
    const minute = Math.floor((at - start) / MINUTE);
    if (minute >= 0 && minute < 60) {
      perMinute[minute]! += 1;
      total++;
    }
  }
  const mean = total / 60;
  const peak = Math.max(...perMinute);
  return { scenario, total, mean, peak, ratio: peak / mean, maxInFlight };
}

/**
 * `npm run bench -- level-load`: 10,000 agents at the default intervals for one simulated hour:
 * the peak releases in any minute over the mean per minute, for the seed's behaviour (every job
 * at its tick), `window` spreading, `interval` spreading and each under a per-minute budget.
 * Deterministic (the clock is simulated), so one run is the figure.
 */
export const levelLoad: Benchmark = {
  name: 'level-load',
  async run() {
    const demandPerMinute = hourlyDemand(AGENTS) / 60;
    const perMinute = Math.ceil(demandPerMinute * 1.1);
    const scenarios: Scenario[] = [
      { name: 'seed: every job at its tick', spreadMode: 'window', honourDelays: false },
      { name: '`SPREAD_MODE=window`', spreadMode: 'window', honourDelays: true },
      { name: '`SPREAD_MODE=interval`', spreadMode: 'interval', honourDelays: true },
      {
        name: `\`window\` + \`ERP_MAX_PER_MINUTE=${perMinute}\``,
        spreadMode: 'window',
        honourDelays: true,
        budget: { maxPerMinute: perMinute },
      },
      {
        name: `\`interval\` + \`ERP_MAX_PER_MINUTE=${perMinute}\``,
        spreadMode: 'interval',
        honourDelays: true,
        budget: { maxPerMinute: perMinute },
      },
      {
        name: '`interval` + `ERP_MAX_IN_FLIGHT=200`',
        spreadMode: 'interval',
        honourDelays: true,
        budget: { maxInFlight: 200 },
      },
    ];
    const results: Result[] = [];
    for (const scenario of scenarios) {
      progress(`level-load: ${scenario.name}`);
      results.push(await simulate(scenario));
    }
    const intervalMode = results[2]!;
    const checks: Check[] = [
      {
        label: 'peak / mean releases per minute, `interval` mode',
        target: '≤ 1.2',
        measured: fmt(intervalMode.ratio),
        pass: intervalMode.ratio <= 1.2,
      },
    ];
    const body = [
      `${fmtInt(AGENTS)} agents, default intervals, one simulated hour (ticks from minute 0; a simulated worker finishes each job ${WORK_MS / 1000} s after it becomes available); demand ${fmtInt(demandPerMinute)} jobs per minute. A release is the moment a job becomes available to a worker.`,
      '',
      table(
        [
          'behaviour',
          'released in the hour',
          'mean / min',
          'peak / min',
          'peak ÷ mean',
          'most in flight',
        ],
        results.map((r) => [
          r.scenario.name,
          fmtInt(r.total),
          fmtInt(r.mean),
          fmtInt(r.peak),
          fmt(r.ratio),
          fmtInt(r.maxInFlight),
        ]),
      ),
    ].join('\n');
    return { title: 'Level load on a simulated clock', body, checks };
  },
};
