import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { LeaderElection } from '../../domain/ports/leader-election.js';
import { DedicatedClient } from './dedicated-client.js';
import { errorMessage } from '../error-message.js';
import { backoffMs, type PostgresLog } from './postgres-log.js';

/** A stable 64-bit advisory-lock key for a name (hashtext() may change between versions). */
export function lockKeyFor(name: string): bigint {
  return createHash('sha256').update(name).digest().readBigInt64BE(0);
}

export const LEADER_LOCK_KEY = lockKeyFor('sync-scheduler-leader');

export interface PostgresLeaderElectionOptions {
  readonly databaseUrl: string;
  /** How often a follower tries the lock and a leader proves its session alive. */
  readonly pollMs?: number;
  /** A leader whose heartbeat takes longer than this steps down. */
  readonly heartbeatTimeoutMs?: number;
  /** Replicas compete only with others using the same key (tests use one of their own). */
  readonly lockKey?: bigint;
  readonly replicaId?: string;
  readonly reconnectMaxMs?: number;
  readonly log?: PostgresLog;
}

/**
 * Runs before anything else in the session. If the leader's host or network vanishes, the
 * server notices after idle + interval × count = 11 s (or 10 s of unacknowledged data) and
 * drops the session, releasing the lock; the old leader's own heartbeat has made it step
 * down after at most pollMs + heartbeatTimeoutMs (3.5 s by default), well before that.
 */
export const LEADER_SESSION_SETUP = `select set_config(name, value, false)
from (values ('tcp_keepalives_idle', '5'), ('tcp_keepalives_interval', '2'),
             ('tcp_keepalives_count', '3'), ('tcp_user_timeout', '10000')) as wanted (name, value)
join pg_settings using (name)`; // the join skips tcp_user_timeout on servers older than 12

/** The lock is still ours only if this very session still holds it. */
const STILL_HOLDING = `select exists (
  select from pg_locks
  where locktype = 'advisory' and granted and pid = pg_backend_pid() and objsubid = 1
    and database = (select oid from pg_database where datname = current_database())
    and ((classid::int8 << 32) | objid::int8) = $1::int8
) as held`;

/**
 * Leadership = holding a session-level advisory lock on a dedicated connection (never the
 * pool's: a pooled session would be reused and the lock would travel with it).
 */
export class PostgresLeaderElection implements LeaderElection {
  readonly replicaId: string;
  private readonly pollMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly reconnectMaxMs: number;
  private readonly lockKey: string;
  private readonly log: PostgresLog;
  private readonly stopping = new AbortController();
  private onChange: (isLeader: boolean) => void = () => {};
  private leader = false;
  private running: Promise<void> | undefined;

  constructor(private readonly options: PostgresLeaderElectionOptions) {
    this.pollMs = options.pollMs ?? 2_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? Math.min(1_500, this.pollMs);
    this.reconnectMaxMs = options.reconnectMaxMs ?? 5_000;
    this.lockKey = (options.lockKey ?? LEADER_LOCK_KEY).toString();
    this.replicaId =
      options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.log = options.log ?? (() => {});
  }

  start(onChange: (isLeader: boolean) => void): void {
    if (this.running || this.stopping.signal.aborted) return;
    this.onChange = onChange;
    this.running = this.run();
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Steps down first (so this replica stops scheduling), then releases the lock. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        await this.session(() => (failures = 0));
      } catch (error) {
        this.setLeader(false);
        if (this.stopping.signal.aborted) break;
        failures += 1;
        const delay = backoffMs(failures, this.pollMs, this.reconnectMaxMs);
        this.log(
          `leader election: session lost (${errorMessage(error)}); reconnecting in ${delay} ms`,
          'warn',
          error,
        );
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => {});
      }
    }
  }

  /** One connection's life: resolves when stopping, rejects as soon as the session is lost. */
  private async session(onConnected: () => void): Promise<void> {
    const connection = new DedicatedClient({
      connectionString: this.options.databaseUrl,
      connectionTimeoutMillis: Math.max(this.pollMs, 2_000),
      query_timeout: this.heartbeatTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 1_000,
      application_name: `sync-scheduler-leader ${this.replicaId}`.slice(0, 63),
    });
    const { client } = connection;
    const lost = new AbortController();
    const loseSession = (reason: Error): void => {
      // Step down the moment the session is in doubt: another replica may get the lock next.
      this.setLeader(false);
      lost.abort(reason);
    };
    client.on('error', loseSession);
    client.on('end', () => loseSession(new Error('connection ended')));
    const signal = AbortSignal.any([lost.signal, this.stopping.signal]);
    try {
      await connection.connect(this.stopping.signal);
      await client.query(LEADER_SESSION_SETUP);
      onConnected();
      while (!signal.aborted) {
        await (this.leader ? this.heartbeat(client) : this.campaign(client, signal));
        await sleep(this.pollMs, undefined, { signal }).catch(() => {});
      }
      if (!this.stopping.signal.aborted) throw lost.signal.reason;
      await this.resign(client);
    } catch (error) {
      this.setLeader(false);
      throw error;
    } finally {
      await connection.close();
    }
  }

  private async campaign(client: pg.Client, signal: AbortSignal): Promise<void> {
    const { rows } = await client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock($1::int8) as locked',
      [this.lockKey],
    );
    // A lock granted while stopping (or after the session broke) is released by resign/end.
    if (rows[0]?.locked && !signal.aborted) this.setLeader(true);
  }

  private async heartbeat(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ held: boolean }>(STILL_HOLDING, [this.lockKey]);
    if (!rows[0]?.held) throw new Error('the advisory lock is no longer held by this session');
  }

  private async resign(client: pg.Client): Promise<void> {
    this.setLeader(false);
    // The lock may have been granted by a query that raced with stop(): release it anyway.
    await client
      .query('select pg_advisory_unlock_all()')
      .catch((error: unknown) =>
        this.log(`leader election: unlock failed: ${errorMessage(error)}`, 'warn', error),
      );
  }

  private setLeader(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.log(
      `leader election: ${this.replicaId} ${leader ? 'became leader' : 'is no longer leader'}`,
      'info',
    );
    try {
      this.onChange(leader);
    } catch (error) {
      this.log(`leader election: onChange failed: ${errorMessage(error)}`, 'error', error);
    }
  }
}
