import type { Queue } from 'bullmq';
import type { PairOutcome } from '../../domain/breakers.js';
import type { AgentStateStore, OutcomesApplied } from '../../domain/ports/agent-state-store.js';
import type { SyncEvent, SyncHistory } from '../../domain/ports/sync-history.js';
import type { SyncType } from '../../domain/sync-types.js';
import { DISCONNECT_TIMEOUT_MS, PRODUCER_REDIS_OPTIONS } from './create-queue.js';
import { decodeJobId } from './job-id.js';
import { schedulerKey } from './keys.js';
import { createRedisClient, type RedisClient } from './redis-client.js';

export interface HistoryRecorderOptions {
  /** One Redis or a Redis Cluster (redis-url.ts). */
  readonly redisUrl: string;
  readonly queueName: string;
  readonly prefix: string;
  /** Failed reads and writes, once per streak of failures (the streak ends at a success). */
  readonly onError: (error: unknown) => void;
  /** Outcomes per INSERT (default 500). */
  readonly batchSize?: number;
  /** A batch that is not full waits this long for company (default 200 ms). */
  readonly flushDelayMs?: number;
  /** Reading stops while this many outcomes wait to be written (default 10,000). */
  readonly maxBuffered?: number;
  /** Stream entries per XREAD (default 1,000). */
  readonly readCount?: number;
  /** How long one XREAD blocks (default 1,000 ms). */
  readonly blockMs?: number;
  /** Backoff after a failed read or write: doubles from this... (default 100 ms) */
  readonly retryInitialMs?: number;
  /** ...up to this (default 5,000 ms). */
  readonly retryMaxMs?: number;
  /**
   * Kept up to date from the same stream, in the same flushes: jobs taken by a worker
   * (`active`) and each outcome the history had not recorded yet. Without it, only the history.
   */
  readonly agentState?: AgentStateStore;
  /** After a batch that changed a pair breaker's state or the ERP breaker's, for logs and metrics. */
  readonly onBreakerChange?: (applied: OutcomesApplied) => void;
  /** The `now` the ERP breaker's window is measured from (default Date.now). */
  readonly now?: () => number;
}

/** A job a worker took, from an `active` stream entry. */
export interface StartedJob {
  readonly type: SyncType;
  readonly userId: string;
  readonly at: number;
}

/** An outcome (or a start) read from the stream and not yet written, with its entry. */
type Pending =
  | { readonly streamId: string; readonly event: SyncEvent; readonly started?: undefined }
  | { readonly streamId: string; readonly started: StartedJob; readonly event?: undefined };

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/** Moves the cursor forward only: a slower writer's late flush never moves it back. */
const ADVANCE_CURSOR = `
local current = redis.call('GET', KEYS[1])
if current then
  local cm, cs = string.match(current, '^(%d+)-(%d+)$')
  local nm, ns = string.match(ARGV[1], '^(%d+)-(%d+)$')
  if cm and (tonumber(cm) > tonumber(nm) or (tonumber(cm) == tonumber(nm) and tonumber(cs) >= tonumber(ns))) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

/**
 * The one writer of sync outcomes into SyncHistory: it follows the queue's event stream only
 * while this replica leads (`lead()` / `follow()`), whichever worker processed the jobs.
 *
 * - Nothing is lost across a handover or a crash: the id of the last stream entry whose outcome
 *   is durably written is kept in Redis (the cursor), and a new leader reads on from there.
 *   Entries read but not yet written are re-read by the next leader; (jobId, finishedAt) is
 *   unique in the history, so a replay is harmless. finishedAt is the stream entry's time, the
 *   same on every read, so a replay always matches the first write.
 * - Writes are batched (one statement per batch, at most one in flight) and bounded: while
 *   PostgreSQL is down the reader stops at `maxBuffered` and waits (the stream keeps the
 *   rest) instead of dropping outcomes or growing without bound.
 * - The job id says what the job was (job-id.ts), so an outcome is recorded even when BullMQ
 *   already removed the job. Ids that do not decode are not ours and are skipped.
 *
 * - With an AgentStateStore, each flush also records the jobs workers took (`active` entries)
 *   and applies to the pair and ERP breakers only the outcomes the history newly inserted
 *   (idempotent per job id and finish time), before the cursor moves. A batch whose history
 *   write succeeded but whose agent-state write failed is retried from the outcomes kept in
 *   memory (the history would answer "nothing new"); only a handover or crash in between loses
 *   them for the agent state (the history has them).
 *
 * It reads the stream with its own XREAD loop rather than BullMQ's QueueEvents: QueueEvents
 * reads without COUNT and pushes every entry at its listeners, so it can neither pause for
 * backpressure nor tell which entries were handled. An outcome is final: BullMQ writes
 * `failed` only once the attempts are exhausted (or on UnrecoverableError).
 */
export class BullMqHistoryRecorder {
  private readonly eventsKey: string;
  private readonly cursorKey: string;
  private readonly batchSize: number;
  private readonly flushDelayMs: number;
  private readonly maxBuffered: number;
  private readonly readCount: number;
  private readonly blockMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  /** Non-blocking commands (cursor, job timings); fails fast, heals by itself. */
  private readonly commands: RedisClient;
  /** The blocking XREAD connection of the current leadership, if any. */
  private reader: RedisClient | null = null;
  /** Aborted by follow(): a read in flight is abandoned, whatever its connection does. */
  private readerStop = new AbortController();
  /** Bumped by lead() and follow(): a read loop or retry of an older term stops. */
  private term = 0;
  private leading = false;
  private closed = false;
  private started: Promise<void> = Promise.resolve();
  private reading: Promise<void> = Promise.resolve();
  private stopping: Promise<void> = Promise.resolve();
  private buffer: Pending[] = [];
  /** The last entry read this term: every outcome up to it is buffered or written. */
  private readId: string | null = null;
  private savedId: string | null = null;
  private flushing: Promise<void> | null = null;
  /**
   * The head batch whose outcomes the history took but the agent state did not yet: a retry
   * must not ask the history again (it would answer "nothing new") and must be the same batch.
   */
  private unapplied: { readonly size: number; readonly inserted: readonly SyncEvent[] } | null =
    null;
  /** A streak of failed writes is reported once, at its start. */
  private writeFailing = false;
  private timer: NodeJS.Timeout | null = null;
  /** Wakes a reader waiting for room, or a retry waiting out its backoff. */
  private wakers = new Set<() => void>();

  constructor(
    private readonly queue: Queue,
    private readonly history: SyncHistory,
    private readonly options: HistoryRecorderOptions,
  ) {
    this.eventsKey = queue.toKey('events');
    this.cursorKey = schedulerKey(options.prefix, options.queueName, 'history-cursor');
    this.batchSize = options.batchSize ?? 500;
    this.flushDelayMs = options.flushDelayMs ?? 200;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.readCount = options.readCount ?? 1_000;
    this.blockMs = options.blockMs ?? 1_000;
    this.retryInitialMs = options.retryInitialMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
    this.commands = createRedisClient(options.redisUrl, {
      ...PRODUCER_REDIS_OPTIONS,
      lazyConnect: true,
    });
    reportOncePerStreak(this.commands, options.onError);
  }

  /**
   * Starts recording from the cursor (from now when there is none). Resolves once the starting
   * point is known and reading has begun; never rejects (failures go to onError and are retried).
   */
  lead(): Promise<void> {
    if (this.closed || this.leading) return this.started;
    this.leading = true;
    const term = ++this.term;
    // XREAD BLOCK needs a connection that never gives a command up; one per term, so that
    // follow() can cut a blocked read at once.
    const reader = createRedisClient(this.options.redisUrl, {
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    });
    reportOncePerStreak(reader, this.options.onError);
    this.reader = reader;
    this.readerStop = new AbortController();
    const stop = this.readerStop.signal;
    let markStarted = (): void => {};
    this.started = new Promise<void>((resolve) => (markStarted = resolve));
    const previous = this.stopping;
    this.reading = previous.then(() => this.readLoop(term, reader, markStarted, stop));
    return this.started;
  }

  /**
   * Stops reading at once, writes what was read (one attempt per batch; what fails is left to
   * the next leader, the cursor still points before it) and resolves when done.
   */
  follow(): Promise<void> {
    if (!this.leading) return this.stopping;
    this.leading = false;
    this.term++;
    // ioredis does not reject a command parked while it reconnects when disconnected then
    // (after a Redis outage the blocked read would hang follow() and shutdown for ever):
    // the abort ends the read loop on its own.
    this.readerStop.abort();
    this.reader?.disconnect();
    this.reader = null;
    this.wakeAll();
    const reading = this.reading;
    this.stopping = (async () => {
      await reading;
      await this.flushNow();
      this.buffer = [];
      this.unapplied = null;
      this.readId = null;
    })();
    return this.stopping;
  }

  /** Kept while the service calls it: the same as lead(). */
  start(): void {
    void this.lead();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.follow();
    this.commands.disconnect();
  }

  /** Outcomes read and not yet written. */
  backlog(): number {
    return this.buffer.length;
  }

  private async readLoop(
    term: number,
    reader: RedisClient,
    markStarted: () => void,
    stop: AbortSignal,
  ): Promise<void> {
    let from: string | null = null;
    let failing = false;
    let delay = this.retryInitialMs;
    while (this.term === term) {
      try {
        from ??= await abandonOn(stop, this.startingPoint(reader));
        markStarted();
        if (this.buffer.length >= this.maxBuffered) {
          await this.wait(); // backpressure: a flush makes room, follow() ends the term
          continue;
        }
        const reply = (await abandonOn(
          stop,
          reader.xread(
            'COUNT',
            this.readCount,
            'BLOCK',
            this.blockMs,
            'STREAMS',
            this.eventsKey,
            from,
          ),
        )) as StreamReply;
        // Read after following: not ours any more; the next leader reads it from the cursor.
        if (this.term !== term) break;
        failing = false;
        delay = this.retryInitialMs;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          from = id;
          const event = toSyncEvent(id, fields);
          if (event) this.buffer.push({ streamId: id, event });
          const started = this.options.agentState ? toStartedJob(id, fields) : null;
          if (started) this.buffer.push({ streamId: id, started });
        }
        this.readId = from;
        this.schedule();
      } catch (error) {
        if (this.term !== term) break;
        if (!failing) this.options.onError(error);
        failing = true;
        await this.wait(delay);
        delay = Math.min(delay * 2, this.retryMaxMs);
      }
    }
    markStarted();
  }

  /** After the cursor; without one, after the stream's newest entry (or from its start). */
  private async startingPoint(reader: RedisClient): Promise<string> {
    const cursor = await reader.get(this.cursorKey);
    if (cursor) {
      const [oldest] = await reader.xrange(this.eventsKey, '-', '+', 'COUNT', 1);
      if (oldest && compareStreamIds(oldest[0], cursor) > 0) {
        // BullMQ trims the stream (streams.events.maxLen); what went is gone for good.
        this.options.onError(
          new Error(
            `the queue's event stream was trimmed past the history cursor (${cursor}, oldest entry ${oldest[0]}): outcomes in between are missing from the history`,
          ),
        );
      }
      return (this.savedId = cursor);
    }
    const [newest] = await reader.xrevrange(this.eventsKey, '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '0-0';
  }

  /** A full batch goes at once; a partial one after flushDelayMs. */
  private schedule(): void {
    if (this.flushing || !this.hasWork()) return;
    if (this.buffer.length >= this.batchSize) {
      this.startFlushing();
      return;
    }
    this.timer ??= setTimeout(() => this.startFlushing(), this.flushDelayMs);
  }

  private startFlushing(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.flushing) return;
    this.flushing = this.flushWhileLeading().finally(() => {
      this.flushing = null;
      if (this.leading) this.schedule();
    });
  }

  /** Full batches back to back, then one partial one; failures retried with capped backoff. */
  private async flushWhileLeading(): Promise<void> {
    let delay = this.retryInitialMs;
    do {
      try {
        await this.flushBatch();
        delay = this.retryInitialMs;
      } catch (error) {
        this.reportWriteFailure(error);
        if (!this.leading) return; // follow() takes over what is left
        await this.wait(delay);
        delay = Math.min(delay * 2, this.retryMaxMs);
      }
    } while (this.leading && (this.writeFailing || this.buffer.length >= this.batchSize));
  }

  /** On follow: everything buffered, one attempt per batch. */
  private async flushNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    try {
      while (this.hasWork()) await this.flushBatch();
    } catch (error) {
      // Left to the next leader: the cursor was not moved past it.
      this.reportWriteFailure(error);
    }
  }

  private reportWriteFailure(error: unknown): void {
    if (!this.writeFailing) this.options.onError(error);
    this.writeFailing = true;
  }

  private hasWork(): boolean {
    return this.buffer.length > 0 || (this.readId !== null && this.readId !== this.savedId);
  }

  private async flushBatch(): Promise<void> {
    const batch = this.buffer.slice(0, this.unapplied?.size ?? this.batchSize);
    // Entries without an outcome count as handled: the cursor may pass them.
    const upTo = batch.length === this.buffer.length ? this.readId : batch.at(-1)?.streamId;
    if (batch.length > 0) await this.writeBatch(batch);
    if (upTo && upTo !== this.savedId) {
      await this.commands.eval(ADVANCE_CURSOR, 1, this.cursorKey, upTo);
      this.savedId = upTo;
    }
    this.buffer.splice(0, batch.length); // only appended to meanwhile
    this.writeFailing = false;
    this.wakeAll();
  }

  /**
   * The history first, then the agent state with only the outcomes the history had not seen
   * (a replay after a handover adds nothing twice), all before the cursor moves past them.
   */
  private async writeBatch(batch: readonly Pending[]): Promise<void> {
    const agentState = this.options.agentState;
    const events = batch.flatMap((pending) => pending.event ?? []);
    let inserted = this.unapplied?.inserted;
    if (!inserted) {
      inserted =
        events.length > 0 ? await this.history.recordMany(await this.withDurations(events)) : [];
      if (agentState) this.unapplied = { size: batch.length, inserted };
    }
    if (!agentState) return;
    const started = batch.flatMap((pending) => pending.started ?? []);
    if (started.length > 0) await agentState.recordStarted(started);
    if (inserted.length > 0) {
      const now = (this.options.now ?? Date.now)();
      const applied = await agentState.recordOutcomes(inserted.map(toPairOutcome), now);
      if (applied.erpChanged || applied.pairsChanged.length > 0) this.reportBreakerChange(applied);
    }
    this.unapplied = null;
  }

  private reportBreakerChange(applied: OutcomesApplied): void {
    try {
      this.options.onBreakerChange?.(applied);
    } catch (error) {
      this.options.onError(error); // a listener's bug must not fail the flush and replay it
    }
  }

  /**
   * Durations from the jobs still in Redis, in one pipelined round trip per batch; a removed
   * job (or a failed read: durations are an extra) has none.
   */
  private async withDurations(events: readonly SyncEvent[]): Promise<SyncEvent[]> {
    const pipeline = this.commands.pipeline();
    for (const event of events) {
      pipeline.hmget(this.queue.toKey(event.jobId), 'processedOn', 'finishedOn');
    }
    const replies = await pipeline.exec().catch(() => null);
    return events.map((event, i) => {
      const [error, timing] = replies?.[i] ?? [null, null];
      const [processedOn, finishedOn] = error ? [] : ((timing as (string | null)[] | null) ?? []);
      const durationMs =
        processedOn && finishedOn ? Math.max(0, Number(finishedOn) - Number(processedOn)) : null;
      return Number.isFinite(durationMs) ? { ...event, durationMs } : event;
    });
  }

  /** Sleeps `ms` (forever without it) or until woken by a flush or a change of leadership. */
  private wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

/** The outcome in one stream entry; null for other events and for jobs not of this service. */
export function toSyncEvent(streamId: string, fields: readonly string[]): SyncEvent | null {
  const entry = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) entry.set(fields[i] ?? '', fields[i + 1] ?? '');
  const kind = entry.get('event');
  if (kind !== 'completed' && kind !== 'failed') return null;
  const jobId = entry.get('jobId') ?? '';
  const parts = decodeJobId(jobId);
  if (!parts) return null;
  const success = kind === 'completed';
  return {
    jobId,
    type: parts.type,
    userId: parts.userId,
    success,
    finishedAt: streamTime(streamId),
    durationMs: null,
    error: success ? null : entry.get('failedReason') || 'failed',
  };
}

/** A job a worker took (an `active` entry of a job of this service); null for anything else. */
export function toStartedJob(streamId: string, fields: readonly string[]): StartedJob | null {
  let kind: string | undefined;
  let jobId: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'event') kind = fields[i + 1];
    if (fields[i] === 'jobId') jobId = fields[i + 1];
  }
  if (kind !== 'active' || jobId === undefined) return null;
  const parts = decodeJobId(jobId);
  return parts ? { type: parts.type, userId: parts.userId, at: streamTime(streamId) } : null;
}

/** What the agent state needs of an outcome. */
export const toPairOutcome = (event: SyncEvent): PairOutcome => ({
  type: event.type,
  userId: event.userId,
  success: event.success,
  at: event.finishedAt,
  reason: event.error,
});

/** Redis stream ids start with the entry's epoch milliseconds: "1767254400000-0". */
const streamTime = (streamId: string): number => Number.parseInt(streamId, 10);

/** Orders two stream ids ("<ms>-<seq>"): negative, zero or positive. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** ioredis emits an error per reconnect attempt; one line per outage is enough. */
function reportOncePerStreak(connection: RedisClient, onError: (error: unknown) => void): void {
  let failing = false;
  connection.on('error', (error: Error) => {
    if (!failing) onError(error);
    failing = true;
  });
  connection.on('ready', () => (failing = false));
}

/** `work`, or a rejection as soon as `signal` aborts (the work itself is left to fail alone). */
function abandonOn<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(new Error('read abandoned: no longer leading'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('read abandoned: no longer leading'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
