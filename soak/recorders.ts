import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { decodeJobId } from '../src/adapters/queue/job-id.js';
import { SYNC_TYPES, type SyncType } from '../src/domain/sync-types.js';
import type { SoakHttp } from './http.js';
import type { ReplicaSlot } from './replicas.js';
import { pairOf } from './worker.js';

/** One read of the lease key and its term counter, in one MULTI (one instant). */
export interface LeasePoll {
  readonly sentAt: number;
  readonly repliedAt: number;
  /** `<replicaId>:<term>`, or null when the key is free. */
  readonly value: string | null;
  /** The last term handed out (`INCR <lease key>:term`). */
  readonly counter: number;
}

export interface PendingSample {
  readonly at: number;
  readonly pairs: number;
  readonly jobs: number;
  readonly duplicates: readonly { pair: string; ids: readonly string[] }[];
}

export interface SettingsSample {
  /** 'pg', or the replica's index. */
  readonly source: 'pg' | number;
  readonly pid?: number;
  readonly sentAt: number;
  readonly at: number;
  readonly intervals: Readonly<Record<SyncType, number>>;
  readonly enabled: Readonly<Record<SyncType, boolean>>;
}

export interface HeapSample {
  readonly slot: number;
  readonly pid: number;
  readonly at: number;
  readonly bytes: number;
}

export const termOf = (value: string | null): number | null => {
  if (value === null) return null;
  const term = Number(value.slice(value.lastIndexOf(':') + 1));
  return Number.isInteger(term) ? term : null;
};

/** Runs `step` every `everyMs` (never two at once) until stopped. */
class Loop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly everyMs: number,
    private readonly step: () => Promise<void>,
  ) {}

  start(): this {
    const round = async (): Promise<void> => {
      if (this.stopped) return;
      const startedAt = Date.now();
      this.running = this.step().catch(() => {});
      await this.running;
      if (this.stopped) return;
      this.timer = setTimeout(
        () => void round(),
        Math.max(0, this.everyMs - (Date.now() - startedAt)),
      );
    };
    void round();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/** The lease key, polled every 50 ms: the term history the fencing invariant reads. */
export function pollLease(redis: Redis, leaseKey: string, termKey: string, into: LeasePoll[]) {
  return new Loop(50, async () => {
    const sentAt = Date.now();
    const replies = await redis.multi().get(leaseKey).get(termKey).exec();
    const repliedAt = Date.now();
    if (!replies || replies.some(([error]) => error)) return;
    const [[, value], [, counter]] = replies as [[null, string | null], [null, string | null]];
    into.push({ sentAt, repliedAt, value, counter: Number(counter ?? 0) });
  }).start();
}

/** Every pending job id in one MULTI, grouped by (type, agent): more than one is a violation. */
export function samplePending(redis: Redis, queue: Queue, into: PendingSample[], everyMs = 500) {
  return new Loop(everyMs, async () => {
    into.push(await readPending(redis, queue));
  }).start();
}

export async function readPending(
  redis: Redis,
  queue: Queue,
): Promise<PendingSample & { ids: string[] }> {
  const k = queue.keys;
  const replies = await redis
    .multi()
    .lrange(k.wait as string, 0, -1)
    .lrange(k.paused as string, 0, -1)
    .lrange(k.active as string, 0, -1)
    .zrange(k.delayed as string, '0', '-1')
    .zrange(k.prioritized as string, '0', '-1')
    .zrange(k['waiting-children'] as string, '0', '-1')
    .exec();
  const at = Date.now();
  const ids: string[] = [];
  for (const [error, value] of replies ?? []) {
    if (error) throw error;
    ids.push(...(value as string[]));
  }
  const byPair = new Map<string, string[]>();
  for (const id of ids) {
    const parts = decodeJobId(id);
    const pair = parts ? pairOf(parts.type, parts.userId) : `?|${id}`;
    const list = byPair.get(pair);
    if (list) list.push(id);
    else byPair.set(pair, [id]);
  }
  const duplicates = [...byPair]
    .filter(([, list]) => list.length > 1)
    .map(([pair, list]) => ({ pair, ids: list }));
  return { at, pairs: byPair.size, jobs: ids.length, duplicates, ids };
}

/** PostgreSQL's settings, read directly (not through any proxy). */
export function pollDatabase(pool: pg.Pool, into: SettingsSample[]) {
  return new Loop(500, async () => {
    const sentAt = Date.now();
    const { rows } = await pool.query<{
      sync_type: SyncType;
      interval_minutes: number;
      enabled: boolean;
    }>('select sync_type, interval_minutes, enabled from system.sync_settings');
    const intervals = {} as Record<SyncType, number>;
    const enabled = {} as Record<SyncType, boolean>;
    for (const row of rows) {
      intervals[row.sync_type] = row.interval_minutes;
      enabled[row.sync_type] = row.enabled;
    }
    into.push({ source: 'pg', sentAt, at: Date.now(), intervals, enabled });
  }).start();
}

/**
 * Each replica's settings in force (GET /api/sync/intervals, the scheduler's own state) every
 * 500 ms, and its heap (GET /metrics) every 5 s. The first answer of a process marks it ready.
 */
export function pollReplica(
  slot: ReplicaSlot,
  http: SoakHttp,
  settings: SettingsSample[],
  heap: HeapSample[],
) {
  let lastMetricsAt = 0;
  return new Loop(500, async () => {
    const port = slot.port;
    const started = slot.process;
    if (port === undefined || !started || !slot.up) return;
    const answer = await http.request(slot.name, port, 'GET', '/api/sync/intervals', {
      timeoutMs: 1_500,
    });
    if (answer.status === 200 && answer.body) {
      started.readyAt ??= answer.answeredAt;
      const body = answer.body as {
        intervals?: Record<SyncType, number>;
        enabled?: Record<SyncType, boolean>;
      };
      if (
        body.intervals &&
        body.enabled &&
        SYNC_TYPES.every((t) => body.intervals?.[t] !== undefined)
      ) {
        settings.push({
          source: slot.index,
          pid: started.pid,
          sentAt: answer.sentAt,
          at: answer.answeredAt,
          intervals: body.intervals,
          enabled: body.enabled,
        });
      }
    }
    if (Date.now() - lastMetricsAt < 5_000) return;
    lastMetricsAt = Date.now();
    const metrics = await http.request(slot.name, port, 'GET', '/metrics', { timeoutMs: 3_000 });
    const bytes = metrics.status === 200 ? heapUsed(metrics.text) : undefined;
    if (bytes !== undefined)
      heap.push({ slot: slot.index, pid: started.pid, at: metrics.answeredAt, bytes });
  }).start();
}

const HEAP_USED = /^sync_scheduler_nodejs_heap_size_used_bytes\s+([0-9.e+]+)/m;

export function heapUsed(metrics: string): number | undefined {
  const match = HEAP_USED.exec(metrics);
  return match ? Number(match[1]) : undefined;
}

export type Recorder = { stop(): Promise<void> };
