import { performance } from 'node:perf_hooks';
import { BullMqJobQueue } from '../src/adapters/queue/bullmq-job-queue.js';
import { TICK_BUILD_SLICE } from '../src/application/scheduling-service.js';
import type { SyncJob } from '../src/domain/ports/job-queue.js';
import { isSharedType, SYNC_TYPES } from '../src/domain/sync-types.js';
import {
  type Cost,
  type CostFigure,
  costRatio,
  cpuChecks,
  cpuPerJob,
  LATENESS_PERIOD_MS,
  measureCost,
  p99,
  settledHeap,
} from './cost.js';
import {
  agentIds,
  benchLease,
  checksTable,
  createBenchQueue,
  DIRECT_CHUNK_SIZE,
  directPath,
  emptyForCost,
  fmt,
  fmtInt,
  median,
  progress,
  ratios,
  schedulerPath,
  spread,
  table,
  tickBatches,
  type Benchmark,
  type BenchQueue,
  type Check,
  type TickPath,
} from './support.js';

const AGENTS = 100_000;
const ROUNDS = 3;
const MB = 1024 * 1024;
/** Goals of issue 13 for the scheduler's path (CPU per job: MAX_CPU_RATIO in cost.ts). */
const MAX_HEAP_GROWTH_MB = 300;
const MAX_LATENESS_P99_MS = 100;

type Path = 'scheduler' | 'direct';

/**
 * The tick's SyncJobs, built the way the Scheduler builds them before it calls enqueue
 * (SchedulingService.dueJobs): per type, in slices of TICK_BUILD_SLICE agents, each job with
 * its spread delay, one turn of the event loop per slice. Timed (in all, and the longest
 * slice: what a timer can be held up by) and weighed here, outside the enqueue's measurement.
 */
async function build(
  ids: readonly string[],
): Promise<{ batches: SyncJob[][]; ms: number; sliceMs: number; retained: number }> {
  const before = settledHeap();
  const started = performance.now();
  const timestamp = Date.now();
  let sliceMs = 0;
  const batches: SyncJob[][] = [];
  for (const type of SYNC_TYPES) {
    if (isSharedType(type)) {
      batches.push(...tickBatches([], timestamp, [type]));
      continue;
    }
    const jobs: SyncJob[] = [];
    for (let start = 0; start < ids.length; start += TICK_BUILD_SLICE) {
      await new Promise((resolve) => setImmediate(resolve));
      const sliceStarted = performance.now();
      const [slice] = tickBatches(ids.slice(start, start + TICK_BUILD_SLICE), timestamp, [type]);
      for (const job of slice ?? []) jobs.push(job);
      sliceMs = Math.max(sliceMs, performance.now() - sliceStarted);
    }
    batches.push(jobs);
  }
  const ms = performance.now() - started;
  return { batches, ms, sliceMs, retained: settledHeap() - before };
}

interface Measured {
  readonly scheduler: Cost[];
  readonly direct: Cost[];
  readonly buildMs: number[];
  readonly buildSliceMs: number[];
  readonly buildRetained: number[];
  /** Redis used_memory after the tick minus before it, bytes, per path. */
  readonly redisMemory: Record<Path, number[]>;
  readonly total: number;
}

/** Redis' own count of the memory it holds (INFO memory, used_memory), bytes. */
async function redisUsedMemory(bench: BenchQueue): Promise<number> {
  const info = await bench.connection.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

async function measure(bench: BenchQueue): Promise<Measured> {
  const fence = benchLease(bench);
  // The two ways one tick's jobs reach Redis (support.ts): BullMqJobQueue.enqueue fenced by
  // the lease, and queue.addBulk of the same jobs with ids of the same form.
  const run: Record<Path, TickPath> = {
    scheduler: schedulerPath(new BullMqJobQueue(bench.queue, fence.key), fence),
    direct: directPath(bench.queue, fence.lease.term),
  };
  const ids = agentIds(AGENTS);
  const total = AGENTS * 4 + 2;
  const costs: Record<Path, Cost[]> = { scheduler: [], direct: [] };
  const buildMs: number[] = [];
  const buildSliceMs: number[] = [];
  const buildRetained: number[] = [];
  const redisMemory: Record<Path, number[]> = { scheduler: [], direct: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Path[] = round % 2 === 0 ? ['scheduler', 'direct'] : ['direct', 'scheduler'];
    for (const path of order) {
      progress(`scale round ${round + 1}/${ROUNDS}: ${path}`);
      await emptyForCost(bench, fence);
      const built = await build(ids);
      buildMs.push(built.ms);
      buildSliceMs.push(built.sliceMs);
      buildRetained.push(built.retained);
      let added = 0;
      const memoryBefore = await redisUsedMemory(bench);
      costs[path].push(
        await measureCost(bench.connection, async () => {
          added = await run[path](built.batches);
        }),
      );
      if (added !== total) throw new Error(`${path}: expected ${total} jobs added, got ${added}`);
      redisMemory[path].push((await redisUsedMemory(bench)) - memoryBefore);
    }
  }
  return { ...costs, buildMs, buildSliceMs, buildRetained, redisMemory, total };
}

export const scale: Benchmark = {
  name: 'scale',
  onlyWhenNamed: true,
  async run() {
    const bench = await createBenchQueue('scale');
    let m: Awaited<ReturnType<typeof measure>>;
    try {
      m = await measure(bench);
    } finally {
      progress('scale: deleting the run’s keys');
      await bench.close();
    }
    const { total } = m;
    const series = (path: Path, pick: (cost: Cost) => number) => m[path].map(pick);
    const figures: CostFigure[] = [
      { label: 'wall time', pick: (c) => c.wallMs, unit: 'ms', digits: 0 },
      ...cpuPerJob(total),
      { label: 'peak heap growth', pick: (c) => c.heapGrowth / MB, unit: 'MB', digits: 0 },
      { label: 'lateness p99 (per round)', pick: (c) => p99(c.lateness), unit: 'ms', digits: 1 },
    ];
    const ratioOf = (pick: (cost: Cost) => number) => costRatio(m.scheduler, m.direct, pick);
    const rows = figures.map(({ label, pick, unit, digits }) => [
      label,
      `${fmt(ratioOf(pick))} x`,
      `${spread(series('scheduler', pick), digits)} ${unit}`,
      `${spread(series('direct', pick), digits)} ${unit}`,
    ]);
    const redisMemoryPerJob = (path: Path) => m.redisMemory[path].map((bytes) => bytes / total);
    rows.push([
      'Redis memory per pending job (used_memory)',
      `${fmt(median(ratios(redisMemoryPerJob('scheduler'), redisMemoryPerJob('direct'))))} x`,
      `${spread(redisMemoryPerJob('scheduler'), 0)} B`,
      `${spread(redisMemoryPerJob('direct'), 0)} B`,
    ]);
    const pooled = (path: Path) => m[path].flatMap((c) => [...c.lateness]);
    rows.push([
      'lateness p99, all firings pooled',
      `${fmt(p99(pooled('scheduler')) / p99(pooled('direct')))} x`,
      `${fmt(p99(pooled('scheduler')), 1)} ms (max ${fmt(Math.max(...pooled('scheduler')), 1)}, ${fmtInt(pooled('scheduler').length)} firings)`,
      `${fmt(p99(pooled('direct')), 1)} ms (max ${fmt(Math.max(...pooled('direct')), 1)}, ${fmtInt(pooled('direct').length)} firings)`,
    ]);

    const heapWorst = Math.max(...series('scheduler', (c) => c.heapGrowth)) / MB;
    const latenessP99 = p99(pooled('scheduler'));
    const checks: Check[] = [
      ...cpuChecks(m.scheduler, m.direct),
      {
        label: 'peak heap growth (worst round)',
        target: `≤ ${MAX_HEAP_GROWTH_MB} MB`,
        measured: `${fmt(heapWorst, 0)} MB`,
        pass: heapWorst <= MAX_HEAP_GROWTH_MB,
      },
      {
        label: `lateness p99 of a ${LATENESS_PERIOD_MS} ms timer during the fan-out`,
        target: `< ${MAX_LATENESS_P99_MS} ms`,
        measured: `${fmt(latenessP99, 1)} ms`,
        pass: latenessP99 < MAX_LATENESS_P99_MS,
      },
    ];
    const body = [
      `One tick of ${fmtInt(total)} jobs (4 agent types x ${fmtInt(AGENTS)} agents + 2 shared), ` +
        `built and spread as the Scheduler does, the six types sent side by side into an empty ` +
        `queue. Scheduler path: BullMqJobQueue.enqueue, fenced by a lease. Direct: ` +
        `queue.addBulk of the same jobs (names, data, options, ids of the same form) in chunks ` +
        `of ${fmtInt(DIRECT_CHUNK_SIZE)}, one chain per type. Both start from the tick's SyncJob ` +
        `batches, built before (as the Scheduler does before it calls enqueue; timed below). ` +
        `${ROUNDS} interleaved rounds, the queue emptied before ` +
        `each; ratio = median of per-round ratios (scheduler / direct). Redis CPU is the ` +
        `server's (INFO cpu deltas), so other clients of a shared Redis count too.`,
      '',
      table(
        ['figure', 'ratio (median)', 'scheduler path, median (min–max)', 'direct addBulk'],
        rows,
      ),
      '',
      `Building the tick's ${fmtInt(total)} SyncJobs before either path (as ` +
        `SchedulingService.dueJobs does: per type, slices of ${fmtInt(TICK_BUILD_SLICE)} agents, ` +
        `a turn of the event loop between slices): ${spread(m.buildMs)} ms in all, the longest ` +
        `slice ${spread(m.buildSliceMs, 1)} ms; ` +
        `${spread(m.buildRetained.map((b) => b / MB))} MB retained while they are enqueued ` +
        `(part of the heap baseline above).`,
      '',
      checksTable(checks),
    ].join('\n');
    return { title: `Scale: one tick of ${fmtInt(total)} jobs into Redis`, body, checks };
  },
};
