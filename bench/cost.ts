import { performance } from 'node:perf_hooks';
import type { RedisClient } from '../src/adapters/queue/redis-client.js';
import { percentile } from './support.js';

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
