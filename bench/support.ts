import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Queue } from 'bullmq';
import type { BullMqJobQueue } from '../src/adapters/queue/bullmq-job-queue.js';
import { toBulkJob } from '../src/adapters/queue/bullmq-job.js';
import {
  closeQueue,
  createBullMqQueue,
  type BullMqQueueHandle,
} from '../src/adapters/queue/create-queue.js';
import { encodeJobId } from '../src/adapters/queue/job-id.js';
import { schedulerKey } from '../src/adapters/queue/keys.js';
import { DEFAULT_INTERVALS } from '../src/domain/interval.js';
import type { SyncJob } from '../src/domain/ports/job-queue.js';
import type { Lease } from '../src/domain/ports/leader-election.js';
import { spreadDelayMs, spreadWindowMs } from '../src/domain/spread.js';
import { buildSyncJobs } from '../src/domain/sync-jobs.js';
import { isSharedType, SYNC_TYPES, type SyncType } from '../src/domain/sync-types.js';
import { deleteKeys, TEST_REDIS_URL } from '../test/support/redis.js';

/** One target of a benchmark and whether this run met it. */
export interface Check {
  readonly label: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** What a benchmark hands back: markdown to print, and its checks for the summary. */
export interface BenchReport {
  readonly title: string;
  readonly body: string;
  readonly checks: readonly Check[];
}

export interface Benchmark {
  readonly name: string;
  /** Left out of a plain `npm run bench` (long, or heavy on Redis): runs only when named. */
  readonly onlyWhenNamed?: boolean;
  run(): Promise<BenchReport>;
}

export const print = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

/** Progress goes to stderr, so stdout stays the report. */
export const progress = (text: string): void => {
  process.stderr.write(`  … ${text}\n`);
};

/** Milliseconds `fn` took. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Per-round ratio subject/baseline: both were measured side by side in the same round. */
export function ratios(subject: readonly number[], baseline: readonly number[]): number[] {
  return subject.map((value, i) => value / (baseline[i] ?? Number.NaN));
}

export interface Step {
  readonly name: string;
  /** Returns the figure of this step for this round (e.g. milliseconds). */
  run(round: number): Promise<number>;
}

/**
 * Runs every step once per round, reversing the order every other round (A B, B A, ...), so
 * neither side always runs first on a warm or cold machine. Returns each step's figures.
 */
export async function interleave(
  rounds: number,
  steps: readonly Step[],
  between?: () => Promise<void>,
): Promise<Map<string, number[]>> {
  const results = new Map<string, number[]>(steps.map((step) => [step.name, []]));
  for (let round = 0; round < rounds; round++) {
    const ordered = round % 2 === 0 ? steps : [...steps].reverse();
    for (const step of ordered) {
      await between?.();
      results.get(step.name)?.push(await step.run(round));
    }
  }
  return results;
}

export const fmt = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

export const fmtInt = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';

/** `median (min–max)` of a series, for the absolute columns. */
export const spread = (values: readonly number[], digits = 0): string =>
  values.length === 0
    ? 'n/a'
    : `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');

export function checksTable(checks: readonly Check[]): string {
  return table(
    ['target', 'wanted', 'measured', 'result'],
    checks.map((c) => [c.label, c.target, c.measured, verdict(c.pass)]),
  );
}

/** A BullMQ queue under a key prefix of its own; `clear()` empties it, `close()` also closes. */
export interface BenchQueue extends BullMqQueueHandle {
  readonly prefix: string;
  clear(): Promise<void>;
  close(): Promise<void>;
}

const cleanups = new Set<() => Promise<void>>();
let listening = false;

/**
 * Runs `cleanup` if the run is interrupted (Ctrl-C, SIGTERM) before the returned function is
 * called, then exits 130: a benchmark that fills Redis or creates a database leaves nothing
 * behind either way (errors are the caller's `finally`).
 */
export function cleanupOnInterrupt(cleanup: () => Promise<void>): () => void {
  if (!listening) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, interrupted);
    listening = true;
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

function interrupted(signal: NodeJS.Signals): void {
  process.stderr.write(`${signal}: cleaning up\n`);
  void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).finally(() =>
    process.exit(130),
  );
}

export async function createBenchQueue(label: string): Promise<BenchQueue> {
  const prefix = `bench-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = createBullMqQueue({ redisUrl: TEST_REDIS_URL, queueName: 'operations', prefix });
  await handle.connection.ping();
  const clear = (): Promise<void> => deleteKeys(handle.connection, prefix);
  const forget = cleanupOnInterrupt(clear);
  const close = async (): Promise<void> => {
    forget();
    try {
      await clear();
    } finally {
      await closeQueue(handle);
    }
  };
  return { ...handle, prefix, clear, close };
}

export const agentIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `agent-${String(i).padStart(5, '0')}`);

/**
 * The batches one tick of `types` enqueues, one per type, built the way the Scheduler builds
 * them (SchedulingService.dueJobs, every agent due): each agent job with its stable spread
 * offset at the type's default interval, in one pass; a shared type's one job at once.
 */
export function tickBatches(
  ids: readonly string[],
  timestamp: number,
  types: readonly SyncType[] = SYNC_TYPES,
): SyncJob[][] {
  return types.map((type) => {
    if (isSharedType(type)) return buildSyncJobs(type, [], timestamp);
    const windowMs = tickWindowMs(type);
    return ids.map((userId) => ({
      type,
      userId,
      timestamp,
      delayMs: spreadDelayMs(type, userId, windowMs),
    }));
  });
}

/** The spread window of a type at its default interval, in the benches' `window` mode. */
const tickWindowMs = (type: SyncType): number =>
  spreadWindowMs(DEFAULT_INTERVALS[type] * 60_000, 'window');

/** The fencing term of the bench's leader: any does, as long as it stays the same. */
const TERM = 7;

/**
 * The leader's lease as a bench holds it: the lease key under the bench queue's prefix and a
 * lease that never expires locally. `hold()` writes the token into the key (`clear()` deletes it).
 */
export interface BenchLease {
  readonly key: string;
  readonly lease: Lease;
  hold(): Promise<void>;
}

export function benchLease(bench: BenchQueue): BenchLease {
  const key = schedulerKey(bench.prefix, bench.queue.name, 'leader');
  const token = `bench-replica:${TERM}`;
  return {
    key,
    lease: { token, term: TERM, isValid: () => true },
    hold: async () => {
      await bench.connection.set(key, token);
    },
  };
}

/**
 * One way a tick's jobs reach Redis, from the SyncJob batches the Scheduler hands to `enqueue`
 * (one per type, built before); all types side by side. Returns how many jobs were added.
 */
export type TickPath = (batches: readonly SyncJob[][]) => Promise<number>;

/** The direct path's chunk: fan-out's best direct arrangement. */
export const DIRECT_CHUNK_SIZE = 1_000;

/**
 * The scheduler's path: `jobQueue.enqueue` per type, fenced by the lease as the leader's ticks
 * are (`jobQueue` must know `fence.key`).
 */
export function schedulerPath(jobQueue: BullMqJobQueue, fence: BenchLease): TickPath {
  return async (batches) => {
    const results = await Promise.all(batches.map((batch) => jobQueue.enqueue(batch, fence.lease)));
    // The bench's lease never expires and its key is held: a refusal means the bench is broken
    // (a duplicate tick, which adds nothing, would otherwise pass for a cheap one).
    const fenced = results.reduce((sum, result) => sum + result.fenced, 0);
    if (fenced > 0) throw new Error(`${fenced} jobs fenced: the lease key lost the bench's token`);
    return results.reduce((sum, result) => sum + result.added, 0);
  };
}

/**
 * Direct use of BullMQ: queue.addBulk of the same names, data and options (toBulkJob) in chunks
 * of 1,000, one chain per type, each chunk's objects built just before it is sent. Job ids have
 * the same form and length as the scheduler path's (producer, term, counter, type, agent), so
 * the count of added jobs is exact (a deduplicated job comes back with its holder's id).
 */
export function directPath(queue: Queue, term: number): TickPath {
  const producer = randomBytes(8).toString('base64url');
  let seq = 0;
  const directId = (job: SyncJob): string =>
    encodeJobId({ producer, term, seq: ++seq, type: job.type, userId: job.userId });
  return async (batches) => {
    const added = await Promise.all(
      batches.map(async (batch) => {
        let count = 0;
        for (let start = 0; start < batch.length; start += DIRECT_CHUNK_SIZE) {
          const bulk = batch
            .slice(start, start + DIRECT_CHUNK_SIZE)
            .map((job) => toBulkJob(job, directId(job)));
          const jobs = await queue.addBulk(bulk);
          count += jobs.filter((job, i) => job.id === bulk[i]?.opts.jobId).length;
        }
        return count;
      }),
    );
    return added.reduce((sum, count) => sum + count, 0);
  };
}

/** How long Redis gets to free the keys of an emptied queue before its CPU is read. */
const REDIS_SETTLE_MS = 1_000;

/**
 * Empties the queue before a tick whose cost is measured: `clear()`, the lease held again, then
 * a pause. Redis frees large values (a queue's sorted sets) of UNLINKed keys in a background
 * thread, and INFO cpu counts every thread: that work must be over before the tick's CPU is read.
 */
export async function emptyForCost(bench: BenchQueue, fence: BenchLease): Promise<void> {
  await bench.clear();
  await fence.hold();
  await new Promise((resolve) => setTimeout(resolve, REDIS_SETTLE_MS));
}
