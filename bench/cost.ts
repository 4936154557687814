import { performance } from 'node:perf_hooks';
import type { RedisClient } from '../src/adapters/queue/redis-client.js';
import { type Check, fmt, median, percentile, ratios } from './support.js';

/** What one piece of work cost, in Node and in Redis. */
export interface Cost {
  readonly wallMs: number;
  /** process.cpuUsage (user + system) over the work, µs. */
  readonly nodeCpuUs: number;
  /** Redis INFO cpu, used_cpu_user + used_cpu_sys deltas, µs (all of its threads). */
  readonly redisCpuUs: number;
  /** The same for its main thread (used_cpu_*_main_thread), NaN when Redis does not say. */
  readonly redisMainCpuUs: number;
  /** Highest heapUsed sampled during the work minus heapUsed after gc() just before, bytes. */
  readonly heapGrowth: number;
  /** How late each firing of a 100 ms setInterval was during the work, ms. */
  readonly lateness: readonly number[];
}

export const LATENESS_PERIOD_MS = 100;
const HEAP_SAMPLE_MS = 5;

interface RedisCpu {
  readonly total: number;
  readonly main: number;
}

/** Seconds of CPU Redis has used so far, as INFO cpu reports them. */
async function redisCpu(connection: RedisClient): Promise<RedisCpu> {
  const info = await connection.info('cpu');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info);
    return match ? Number(match[1]) : Number.NaN;
  };
  return {
    total: field('used_cpu_user') + field('used_cpu_sys'),
    main: field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread'),
  };
}

const collect = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('global.gc is missing: run node with --expose-gc (npm run bench does)');
  for (let pass = 0; pass < 3; pass++) gc();
};

/** Heap in use after a full collection (three gc passes), bytes. */
export const settledHeap = (): number => {
  collect();
  return process.memoryUsage().heapUsed;
};

/**
 * Runs `work` and measures it: wall time, Node CPU, Redis CPU (the whole server: on a shared
 * Redis anyone else's commands count too, which is why callers compare ratios of interleaved
 * runs), peak heap over a post-gc baseline (sampled every 5 ms, so a peak between two samples
 * can be missed), and the lateness of a 100 ms setInterval: gap since the previous firing
 * minus the period (Node reschedules an interval from when it fired).
 */
export async function measureCost(
  connection: RedisClient,
  work: () => Promise<void>,
): Promise<Cost> {
  collect();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const lateness: number[] = [];
  const redisBefore = await redisCpu(connection);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let previous = started;
  const timer = setInterval(() => {
    const now = performance.now();
    lateness.push(Math.max(0, now - previous - LATENESS_PERIOD_MS));
    previous = now;
  }, LATENESS_PERIOD_MS);
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, HEAP_SAMPLE_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const redisAfter = await redisCpu(connection);
  return {
    wallMs,
    nodeCpuUs: cpu.user + cpu.system,
    redisCpuUs: (redisAfter.total - redisBefore.total) * 1e6,
    redisMainCpuUs: (redisAfter.main - redisBefore.main) * 1e6,
    heapGrowth: peak - baseline,
    lateness,
  };
}

export const p99 = (values: readonly number[]): number => percentile(values, 99);

/**
 * Issue 13's goal: the scheduler's path costs at most this many times direct addBulk's CPU per
 * job, in Node and in Redis.
 */
export const MAX_CPU_RATIO = 1.1;

/** One figure of a Cost, for a table row. */
export interface CostFigure {
  readonly label: string;
  readonly pick: (cost: Cost) => number;
  readonly unit: string;
  readonly digits: number;
}

/** CPU per job in Node, in Redis (all threads) and in its main thread, `jobs` jobs per Cost. */
export const cpuPerJob = (jobs: number): CostFigure[] => [
  { label: 'Node CPU per job', pick: (c) => c.nodeCpuUs / jobs, unit: 'µs', digits: 1 },
  { label: 'Redis CPU per job', pick: (c) => c.redisCpuUs / jobs, unit: 'µs', digits: 1 },
  {
    label: 'Redis main-thread CPU per job',
    pick: (c) => c.redisMainCpuUs / jobs,
    unit: 'µs',
    digits: 1,
  },
];

/** Median of the per-round ratios subject / baseline of one figure (rounds pair up by index). */
export const costRatio = (
  subject: readonly Cost[],
  baseline: readonly Cost[],
  pick: (cost: Cost) => number,
): number => median(ratios(subject.map(pick), baseline.map(pick)));

/**
 * Issue 13's CPU goal as checks: Redis and Node CPU per job of the scheduler's path against
 * direct addBulk of the same jobs (the same count on both sides, so the ratio of the totals).
 */
export function cpuChecks(scheduler: readonly Cost[], direct: readonly Cost[]): Check[] {
  const redis = costRatio(scheduler, direct, (c) => c.redisCpuUs);
  const node = costRatio(scheduler, direct, (c) => c.nodeCpuUs);
  return [
    {
      label: 'Redis CPU per job vs direct addBulk',
      target: `≤ ${MAX_CPU_RATIO} x`,
      measured: `${fmt(redis)} x`,
      pass: redis <= MAX_CPU_RATIO,
    },
    {
      label: 'Node CPU per job vs direct addBulk',
      target: `≤ ${MAX_CPU_RATIO} x`,
      measured: `${fmt(node)} x`,
      pass: node <= MAX_CPU_RATIO,
    },
  ];
}
