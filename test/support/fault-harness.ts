import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { signToken } from '../../src/adapters/http/auth.js';
import { SYNC_TYPES } from '../../src/domain/sync-types.js';
import type { Service } from '../../src/service.js';
import { TEST_REDIS_URL } from './redis.js';
import { TEST_JWT_SECRET } from './service.js';
import { startTcpProxy, type TcpProxyOptions } from './tcp-proxy.js';

export { throughProxy } from './tcp-proxy.js';

const ROOT = new URL('../..', import.meta.url);
const REPORT_FILE = new URL('test-output/fault-report.json', ROOT);

const targetOf = (url: string) => {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || (url.startsWith('redis') ? 6379 : 5432)),
  };
};

/** A proxy in front of the database server `databaseUrl` names. */
export const proxyPostgres = (databaseUrl: string, options?: TcpProxyOptions) =>
  startTcpProxy(targetOf(databaseUrl), options);

/** A proxy in front of the shared Redis. */
export const proxyRedis = (options?: TcpProxyOptions) =>
  startTcpProxy(targetOf(TEST_REDIS_URL), options);

/** Records every unhandled rejection while installed (the assertion: none). */
export function watchUnhandledRejections() {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  return {
    seen,
    dispose: () => process.off('unhandledRejection', listener),
  };
}

/** Sum of a Prometheus metric's samples whose labels include `labels`. */
export async function metricSum(
  service: Service,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = service.metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Wall time from sending the request to the parsed body. */
  readonly ms: number;
}

/** Talks to a service's HTTP port as an admin would, timing every call. */
export class HttpClient {
  private token: Promise<string> | undefined;

  constructor(private readonly port: () => number) {}

  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (path.startsWith('/api/')) headers.authorization = `Bearer ${await this.jwt()}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const startedAt = performance.now();
    const response = await fetch(`http://127.0.0.1:${this.port()}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    const ms = performance.now() - startedAt;
    return { status: response.status, body: parseBody(text), ms };
  }

  private jwt(): Promise<string> {
    this.token ??= signToken(TEST_JWT_SECRET);
    return this.token;
  }
}

/** JSON replies parsed; anything else (e.g. /metrics) as `{ text }`. */
function parseBody(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}

/** Calls `check` every `everyMs` until it is truthy; resolves with the ms it took. */
export async function msUntil(
  check: () => unknown,
  timeoutMs: number,
  everyMs = 50,
): Promise<number> {
  const startedAt = performance.now();
  for (;;) {
    if (await check()) return Math.round(performance.now() - startedAt);
    if (performance.now() - startedAt > timeoutMs) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await sleep(everyMs);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)] as number);
}

/**
 * Prints one line of figures and merges them into test-output/fault-report.json (git-ignored),
 * so the README's reliability section can quote what a run measured.
 */
export async function report(fault: string, figures: Record<string, unknown>): Promise<void> {
  process.stdout.write(`[fault] ${fault}: ${JSON.stringify(figures)}\n`);
  await mkdir(new URL('.', REPORT_FILE), { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await readFile(REPORT_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // First report of the run, or an unreadable file: start over.
  }
  all[fault] = { ...figures, measuredAt: new Date().toISOString() };
  await writeFile(REPORT_FILE, `${JSON.stringify(all, null, 2)}\n`);
}

/** The real entry point in a child process, as `npm start` runs it, with its log kept. */
export function spawnMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SPREAD_MODE: 'window', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: performance.now(),
  }));
  const logs = (): Record<string, unknown>[] =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { child, lines, logs, exited };
}

const SYNC_NAME = new RegExp(`^sync-(${SYNC_TYPES.join('|')})$`);
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PENDING_STATES = ['wait', 'paused', 'active', 'prioritized', 'delayed'] as const;
const FINISHED_STATES = ['completed', 'failed'] as const;

export interface QueueInspection {
  /** Jobs in a pending state (waiting, prioritized, delayed, active, paused). */
  readonly pending: number;
  readonly byName: Record<string, number>;
  /** Job ids in a state set without a hash, or whose hash breaks the queue contract. */
  readonly malformed: string[];
  /** Job hashes that no state set names: a job written halfway. */
  readonly orphans: string[];
  /** Deduplication keys naming a job that does not exist. */
  readonly danglingDedupKeys: string[];
  /** (type, userId) pairs with more than one pending job. */
  readonly duplicates: string[];
}

/**
 * Reads a queue straight from Redis (not through BullMQ's helpers, which skip what they cannot
 * parse) and lists everything that is not a complete, contract-shaped job.
 */
export async function inspectQueue(
  prefix: string,
  queueName = 'operations',
): Promise<QueueInspection> {
  const redis = new Redis(TEST_REDIS_URL);
  const base = `${prefix}:${queueName}:`;
  try {
    const inState = new Map<string, string>();
    for (const state of [...PENDING_STATES, ...FINISHED_STATES]) {
      const key = base + state;
      const type = await redis.type(key);
      const ids =
        type === 'list'
          ? await redis.lrange(key, 0, -1)
          : type === 'zset'
            ? await redis.zrange(key, '0', '-1')
            : [];
      for (const id of ids) inState.set(id, state);
    }
    const hashIds: string[] = [];
    const dedupKeys: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 5000);
      cursor = next;
      for (const key of keys) {
        const rest = key.slice(base.length);
        if (JOB_ID.test(rest)) hashIds.push(rest);
        else if (rest.startsWith('de:')) dedupKeys.push(key);
      }
    } while (cursor !== '0');

    const ids = [...new Set([...inState.keys(), ...hashIds])];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(base + id);
    const hashes = ((await pipeline.exec()) ?? []).map(
      ([error, value]) => (error ? {} : value) as Record<string, string>,
    );

    const malformed: string[] = [];
    const orphans: string[] = [];
    const byName: Record<string, number> = {};
    const pendingPairs = new Map<string, number>();
    let pending = 0;
    ids.forEach((id, i) => {
      const hash = hashes[i] ?? {};
      const state = inState.get(id);
      if (!state) {
        orphans.push(id);
        return;
      }
      const problem = contractProblem(hash);
      if (problem) {
        malformed.push(`${id} (${state}): ${problem}`);
        return;
      }
      byName[hash.name as string] = (byName[hash.name as string] ?? 0) + 1;
      if ((PENDING_STATES as readonly string[]).includes(state)) {
        pending += 1;
        const { type, userId } = JSON.parse(hash.data as string) as Record<string, string>;
        const pair = `${type}|${userId}`;
        pendingPairs.set(pair, (pendingPairs.get(pair) ?? 0) + 1);
      }
    });

    const danglingDedupKeys: string[] = [];
    for (const key of dedupKeys) {
      const jobId = await redis.get(key);
      if (!jobId || !(await redis.exists(base + jobId))) danglingDedupKeys.push(key);
    }
    const duplicates = [...pendingPairs].filter(([, n]) => n > 1).map(([pair]) => pair);
    return { pending, byName, malformed, orphans, danglingDedupKeys, duplicates };
  } finally {
    redis.disconnect();
  }
}

/** Why a stored job hash is not a job of the queue contract, or null when it is one. */
function contractProblem(hash: Record<string, string>): string | null {
  if (Object.keys(hash).length === 0) return 'no job hash';
  const { name, data, opts } = hash;
  if (!name || !SYNC_NAME.test(name)) return `bad name ${String(name)}`;
  let payload: Record<string, unknown>;
  let options: Record<string, unknown>;
  try {
    payload = JSON.parse(data ?? '') as Record<string, unknown>;
    options = JSON.parse(opts ?? '') as Record<string, unknown>;
  } catch {
    return 'data or opts is not JSON';
  }
  const keys = Object.keys(payload).sort().join(',');
  if (keys !== 'data,timestamp,type,userId') return `data has keys ${keys}`;
  if (payload.type !== name) return `data.type ${String(payload.type)} for ${name}`;
  if (typeof payload.userId !== 'string' || payload.userId === '') return 'no data.userId';
  if (JSON.stringify(payload.data) !== '{}') return 'data.data is not {}';
  if (typeof payload.timestamp !== 'number') return 'data.timestamp is not a number';
  const dedupId = (options.de as { id?: unknown } | undefined)?.id;
  if (dedupId !== `${name}-${payload.userId}`) return `deduplication id ${String(dedupId)}`;
  if (options.attempts !== 3) return `attempts ${String(options.attempts)}`;
  return null;
}

/** Samples `isLeader()` every 5 ms until stopped: how often, if ever, leadership was missing. */
export function sampleLeadership(isLeader: () => boolean) {
  let samples = 0;
  let notLeader = 0;
  const timer = setInterval(() => {
    samples += 1;
    if (!isLeader()) notLeader += 1;
  }, 5);
  return {
    stop: (): { samples: number; notLeader: number } => {
      clearInterval(timer);
      return { samples, notLeader };
    },
  };
}
