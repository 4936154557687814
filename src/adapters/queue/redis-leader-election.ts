import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisOptions } from 'ioredis';
import type { LeaderElection, Lease } from '../../domain/ports/leader-election.js';
import { errorMessage } from '../error-message.js';
import { createRedisClient, type RedisClient } from './redis-client.js';

export type LeaderElectionLogLevel = 'info' | 'warn' | 'error';

export type LeaderElectionLog = (
  message: string,
  level: LeaderElectionLogLevel,
  error?: unknown,
) => void;

export interface RedisLeaderElectionOptions {
  /** One Redis or a Redis Cluster (redis-url.ts). */
  readonly redisUrl: string;
  /**
   * The lease key, e.g. `${prefix}:${queueName}:sync-scheduler:leader`; the term lives at
   * `${key}:term`. On a cluster the key must carry a hash tag (both keys share one slot, which
   * must be the queue's: the add scripts check the lease, keys.ts).
   */
  readonly key: string;
  /** How long the key lives after each acquisition or renewal (default 10 s). */
  readonly leaseMs?: number;
  /** How often a follower tries to acquire and the leader renews (default 2 s; at most leaseMs / 3). */
  readonly pollMs?: number;
  /** Must be unique among the electors of one key (the default is). */
  readonly replicaId?: string;
  readonly log?: LeaderElectionLog;
}

/**
 * Takes the key if it is free, or if it still holds a value of this very replica (an acquisition
 * whose reply was lost, or a lease this replica gave up on its deadline): nobody else can hold
 * it then. Each acquisition gets the next fencing term. Returns the term, or 0 if taken.
 */
const ACQUIRE = `local current = redis.call('get', KEYS[1])
if current and string.sub(current, 1, string.len(ARGV[1]) + 1) ~= ARGV[1] .. ':' then
  return 0
end
local term = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. ':' .. term, 'PX', ARGV[2])
return term`;

/** Extends the lease only while the key still holds exactly this lease's value. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;

/** Deletes the key only while it holds a value of this replica. */
const RELEASE = `local current = redis.call('get', KEYS[1])
if current and string.sub(current, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ':' then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * One acquisition's lease. Valid until its local deadline (monotonic clock) or until it is
 * ended; once it has been invalid it never becomes valid again, whatever a late renewal says:
 * a fence checked false must stay false, or a paused process could resume enqueuing under it.
 */
class RedisLease implements Lease {
  private ended = false;

  constructor(
    readonly token: string,
    readonly term: number,
    private deadline: number,
  ) {}

  /** Monotonic time (performance.now) until which this lease may be acted on. */
  get validUntil(): number {
    return this.ended ? 0 : this.deadline;
  }

  isValid(): boolean {
    if (!this.ended && performance.now() >= this.deadline) this.ended = true;
    return !this.ended;
  }

  /** Moves the deadline on, only while the lease is still valid; false (and no change) if not. */
  extendTo(deadline: number): boolean {
    if (!this.isValid()) return false;
    this.deadline = Math.max(this.deadline, deadline);
    return true;
  }

  end(): void {
    this.ended = true;
  }
}

/**
 * Leadership is a lease in Redis with a fencing term: `SET key <replicaId>:<term> PX leaseMs`
 * when the key is free, renewed every `pollMs` by a compare-and-PEXPIRE.
 *
 * Why a leader never overlaps its successor: a renewal (or acquisition) is applied by Redis after
 * it was sent, so the key lives at least `leaseMs` after the moment the leader sent it. The leader
 * considers itself leader only until `sentAt + leaseMs - safetyMarginMs` (sentAt: when the last
 * successful renewal was sent, on this process's monotonic clock), and a local timer steps it down
 * at that deadline without waiting for anything. So it has stopped at least `safetyMarginMs`
 * before the key can expire and another replica can take it. A renewal that finds the value
 * changed or gone steps down at once. A renewal that fails (Redis unreachable, timeout) does not:
 * the deadline decides, so a blip shorter than the margin costs nothing.
 *
 * A process paused (a long GC, SIGSTOP, a frozen VM) for longer than the margin while it leads
 * wakes up with its deadline passed: its lease is invalid from then on, a renewal due at that
 * moment is not sent (it steps down instead, and campaigns for a fresh term), and a renewal
 * confirmed only after the deadline does not revive it. What a paused leader had already handed
 * to Redis is stopped there: BullMqJobQueue's add scripts check the lease key themselves.
 *
 * The connection is its own, never the producer's: a 40,000-job pipeline must not sit in front
 * of a renewal. It fails fast (no offline queue, short command timeout) and never gives up
 * reconnecting.
 */
export class RedisLeaderElection implements LeaderElection {
  readonly replicaId: string;
  readonly leaseMs: number;
  readonly pollMs: number;
  /** How long before the key can expire the leader has already stepped down. */
  readonly safetyMarginMs: number;
  private readonly key: string;
  private readonly termKey: string;
  private readonly redis: RedisClient;
  private readonly log: LeaderElectionLog;
  private readonly aborter = new AbortController();
  private onChange: (isLeader: boolean) => void = () => {};
  private running: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private leader = false;
  /** This replica's current lease (only while leading). */
  private lease: RedisLease | undefined;
  private currentTerm: number | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private failing = false;
  private connectionDown = false;

  constructor(options: RedisLeaderElectionOptions) {
    this.leaseMs = options.leaseMs ?? 10_000;
    this.pollMs = options.pollMs ?? 2_000;
    if (!(this.pollMs > 0) || this.leaseMs < 3 * this.pollMs) {
      throw new RangeError(
        `leader election: leaseMs (${this.leaseMs}) must be at least 3 × pollMs (${this.pollMs})`,
      );
    }
    this.safetyMarginMs = Math.max(this.pollMs, this.leaseMs / 4);
    this.key = options.key;
    this.termKey = `${options.key}:term`;
    this.replicaId =
      options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.log = options.log ?? (() => {});
    this.redis = createRedisClient(options.redisUrl, this.connectionOptions());
    this.redis.on('error', (error: Error) => {
      // Reported once per outage; ioredis retries every second or so until it is back.
      if (this.connectionDown || this.aborter.signal.aborted) return;
      this.connectionDown = true;
      this.log(
        `leader election: Redis connection failed (${errorMessage(error)}); reconnecting`,
        'warn',
        error,
      );
    });
    this.redis.on('ready', () => {
      if (!this.connectionDown) return;
      this.connectionDown = false;
      this.log('leader election: Redis connection is back', 'info');
    });
  }

  /** The fencing term of the lease this replica holds or held last (undefined: never led). */
  get term(): number | undefined {
    return this.currentTerm;
  }

  currentLease(): Lease | null {
    return this.isLeader() ? (this.lease ?? null) : null;
  }

  start(onChange: (isLeader: boolean) => void): void {
    if (this.running || this.aborter.signal.aborted) return;
    this.onChange = onChange;
    this.redis.connect().catch(() => {}); // failures reach the 'error' listener
    this.running = this.run();
  }

  isLeader(): boolean {
    // A deadline timer delayed by a busy event loop does not extend leadership.
    return this.leader && this.lease !== undefined && this.lease.isValid();
  }

  /** Steps down first (so this replica stops scheduling), then frees the key, then disconnects. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private connectionOptions(): RedisOptions {
    return {
      lazyConnect: true,
      // A renewal during an outage fails at once instead of waiting for a reconnect...
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // ...and one that gets no answer gives up within the safety margin (at least one poll, so
      // a slow but working link still gets its answers; a late answer is judged by its sentAt).
      commandTimeout: Math.min(1_000, this.safetyMarginMs),
      connectTimeout: Math.min(2_000, this.leaseMs / 2),
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      disconnectTimeout: 250,
      connectionName: 'sync-scheduler-leader',
    };
  }

  private async run(): Promise<void> {
    const { signal } = this.aborter;
    while (!signal.aborted) {
      const roundAt = performance.now();
      // A connector error (not a refused connection) ends the client: connect again.
      if (this.redis.status === 'end') this.redis.connect().catch(() => {});
      if (this.redis.status === 'ready') await (this.leader ? this.renew() : this.campaign());
      else if (this.leader) this.renewalFailed(new Error('not connected to Redis'));
      // While not connected, the next round follows the reconnection at once.
      await this.pause(roundAt + this.pollMs - performance.now());
    }
  }

  /** Waits `ms`; while the connection is down, also wakes up the moment it is ready again. */
  private async pause(ms: number): Promise<void> {
    const { signal } = this.aborter;
    if (signal.aborted || ms <= 0) return;
    const wake = new AbortController();
    const onReady = (): void => wake.abort();
    if (this.redis.status !== 'ready') this.redis.once('ready', onReady);
    try {
      await sleep(ms, undefined, {
        signal: AbortSignal.any([signal, wake.signal]),
        ref: false,
      }).catch(() => {});
    } finally {
      this.redis.off('ready', onReady);
    }
  }

  private async campaign(): Promise<void> {
    const sentAt = performance.now();
    let term: number;
    try {
      term = Number(
        await this.redis.eval(ACQUIRE, 2, this.key, this.termKey, this.replicaId, this.leaseMs),
      );
    } catch (error) {
      this.failed('could not try for leadership', error);
      return;
    }
    this.recovered();
    // A lease granted while stopping is freed by shutdown (RELEASE matches this replica's values).
    if (term <= 0 || this.aborter.signal.aborted) return;
    this.currentTerm = term;
    const lease = new RedisLease(`${this.replicaId}:${term}`, term, this.deadlineFor(sentAt));
    if (!lease.isValid()) {
      this.stepDown('the lease was confirmed too late to act on it');
      return;
    }
    this.lease = lease;
    this.armDeadline();
    this.setLeader(true, `became leader (term ${term})`);
  }

  private async renew(): Promise<void> {
    const lease = this.lease;
    // Woken after the deadline (a stall longer than the margin): the key may still hold our
    // token, but a renewal now would revive a lease that already ended. Step down instead; the
    // next round campaigns, and wins a fresh term if the key is free or still ours.
    if (!lease?.isValid()) {
      this.stepDown(
        `the lease (term ${this.currentTerm}) passed its deadline before it could be renewed; not renewing it`,
        'warn',
      );
      return;
    }
    const sentAt = performance.now();
    let renewed: number;
    try {
      renewed = Number(await this.redis.eval(RENEW, 1, this.key, lease.token, this.leaseMs));
    } catch (error) {
      if (this.leader && this.lease === lease) this.renewalFailed(error);
      return;
    }
    this.recovered();
    // The reply belongs to a lease this replica already gave up: ignore it.
    if (!this.leader || this.lease !== lease) return;
    if (renewed !== 1) {
      this.stepDown(`lost the lease (term ${this.currentTerm}): the key changed or vanished`);
      return;
    }
    if (!lease.extendTo(this.deadlineFor(sentAt))) {
      this.stepDown('the renewal was confirmed after the lease had passed its deadline', 'warn');
      return;
    }
    this.armDeadline();
  }

  private renewalFailed(error: unknown): void {
    const leftMs = Math.max(0, Math.round((this.lease?.validUntil ?? 0) - performance.now()));
    this.failed(`could not renew the lease; still leader for at most ${leftMs} ms`, error);
  }

  /** A lease confirmed by a command sent at `sentAt` may be acted on until this (monotonic). */
  private deadlineFor(sentAt: number): number {
    return sentAt + this.leaseMs - this.safetyMarginMs;
  }

  /** Steps down at the current lease's deadline without waiting for anything. */
  private armDeadline(): void {
    clearTimeout(this.deadline);
    const leftMs = Math.max(0, (this.lease?.validUntil ?? 0) - performance.now());
    this.deadline = setTimeout(() => this.onDeadline(), leftMs);
    this.deadline.unref();
  }

  private onDeadline(): void {
    if (!this.leader) return;
    const leftMs = (this.lease?.validUntil ?? 0) - performance.now();
    if (leftMs > 0) {
      this.deadline = setTimeout(() => this.onDeadline(), leftMs);
      this.deadline.unref();
      return;
    }
    this.stepDown(
      `no renewal succeeded in time: stepping down ${Math.round(this.safetyMarginMs)} ms before the lease can expire`,
      'warn',
    );
  }

  private stepDown(reason: string, level: LeaderElectionLogLevel = 'info'): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.lease?.end();
    this.lease = undefined;
    this.setLeader(false, reason, level);
  }

  private async shutdown(): Promise<void> {
    this.aborter.abort();
    this.stepDown('stopping: gave leadership up');
    if (!this.running) {
      this.redis.disconnect();
      return;
    }
    try {
      // Frees the key at once, so that a successor takes over at its next poll instead of after
      // the lease. It matches any value of this replica, so it also frees a lease whose reply
      // was lost; and Redis runs one connection's commands in order, so an acquisition still in
      // flight is applied before it, never after: no need to wait for that round first.
      await this.redis.eval(RELEASE, 1, this.key, this.replicaId);
    } catch (error) {
      this.log(
        `leader election: could not free the lease key (${errorMessage(error)}); it expires within ${this.leaseMs} ms`,
        'warn',
        error,
      );
    } finally {
      await this.running; // the round in flight ended with (or before) the release
      this.stepDown('stopping: gave leadership up');
      this.redis.disconnect();
    }
  }

  /** One warning per streak of failures, not one per poll. */
  private failed(what: string, error: unknown): void {
    if (this.failing || this.aborter.signal.aborted) return;
    this.failing = true;
    // Without an offline queue, ioredis words "not connected" as a stream that isn't writeable.
    const why = this.redis.status === 'ready' ? errorMessage(error) : 'not connected to Redis';
    this.log(`leader election: ${what} (${why})`, 'warn', error);
  }

  private recovered(): void {
    this.failing = false;
  }

  private setLeader(leader: boolean, reason: string, level: LeaderElectionLogLevel = 'info'): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.log(`leader election: ${this.replicaId} ${reason}`, level);
    try {
      this.onChange(leader);
    } catch (error) {
      this.log(`leader election: onChange failed: ${errorMessage(error)}`, 'error', error);
    }
  }
}
