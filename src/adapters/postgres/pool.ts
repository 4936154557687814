import pg from 'pg';

export interface PoolOptions {
  /** Told about a failed idle client (server restart, killed backend); the pool drops it. */
  readonly onError?: (error: Error) => void;
  readonly max?: number;
  /** Bounds both opening a connection and waiting for a free one. */
  readonly connectionTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
}

/**
 * How far behind ours the database server's clock may be. The client gives up on a query this
 * long after the server would cancel it (statement_timeout), and a change refuses to commit
 * after its deadline (changeDeadline), so a change the client gave up on is never committed.
 */
export const CLOCK_SKEW_ALLOWANCE_MS = 1_000;

const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  // Every client from the moment the pool makes it, still opening its connection too, until
  // its socket closes (pg emits 'end' then): the ones endPool may have to cut.
  const clients = new Set<pg.Client>();
  class TrackedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      clients.add(this);
      this.once('end', () => clients.delete(this));
    }
  }
  const pool = new pg.Pool({
    Client: TrackedClient,
    connectionString: databaseUrl,
    // A tick reads the agents and both breakers at once, and records its run and what it
    // sent; the admin API and the gauges read beside it. Ten keeps a slow database (500 ms a
    // query, test/fault/slow-postgres.test.ts) from queueing them; replicas share the
    // server's slots (three replicas: 36 connections with the writer's and the feed's).
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    // The server cancels a slow statement; the client gives up a little later, in case the
    // server (or the network to it) stopped answering altogether.
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + CLOCK_SKEW_ALLOWANCE_MS,
    keepAlive: true,
    application_name: 'sync-scheduler',
  });
  // Without a listener, an idle client's error is an unhandled 'error' event: a crash.
  pool.on('error', (error) => options.onError?.(error));
  CLIENTS.set(pool, clients);
  return pool;
}

/** Every client of a createPool pool whose socket is open: idle, checked out or connecting. */
const CLIENTS = new WeakMap<pg.Pool, Set<pg.Client>>();

/**
 * Ends the pool at shutdown, waiting at most `graceMs` for the clients still checked out (a
 * query waiting on a partitioned server would hold one until its query timeout, 11 s, and
 * keep the process past its shutdown deadline: RELIABILITY.md, finding 4), for clients still
 * opening a connection (held by a partition until the connection timeout, 5 s), and for idle
 * clients to say goodbye; then cuts the sockets of every client left, and the pool ends.
 */
export async function endPool(pool: pg.Pool, graceMs: number): Promise<void> {
  const clients = CLIENTS.get(pool) ?? new Set<pg.Client>();
  const ended = pool.end();
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    ended.then(() => socketsClosed(clients)).then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(resolve, graceMs, false))),
  ]);
  clearTimeout(timer);
  if (inTime) return;
  // Not client.end(): for an idle client it waits for the server to confirm, which a
  // partitioned server never does (see DedicatedClient). Destroying the socket ends the client
  // at once, fails a query in flight, and the pool drops the client.
  for (const client of CLIENTS.get(pool) ?? []) socketOf(client)?.destroy();
  await ended;
}

/** Resolves once every client in `clients` has closed its socket. */
function socketsClosed(clients: Set<pg.Client>): Promise<void> {
  return new Promise((resolve) => {
    // TrackedClient's own 'end' listener, registered first, has removed the client by then.
    const check = (): void => {
      if (clients.size === 0) resolve();
    };
    for (const client of clients) client.once('end', check);
    check();
  });
}

/** pg keeps a client's socket on `connection.stream` and offers no public way to cut it. */
const socketOf = (client: pg.Client): { destroy(): void } | undefined =>
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;

/**
 * The latest moment (epoch ms, this process's wall clock) at which a change sent on `pool` now
 * may still commit: the client's own timeout minus the clock skew allowance. A change that
 * answers 503 "nothing was changed" after a timeout must not land later, when a partition
 * heals and the bytes it held reach the server (RELIABILITY.md, finding 1): every such change
 * checks this deadline on the server, as the last thing before its commit.
 */
export function changeDeadline(pool: pg.Pool, now: number = Date.now()): number {
  const queryTimeout = (pool.options as { query_timeout?: number }).query_timeout;
  return (
    now +
    (queryTimeout ?? DEFAULT_STATEMENT_TIMEOUT_MS + CLOCK_SKEW_ALLOWANCE_MS) -
    CLOCK_SKEW_ALLOWANCE_MS
  );
}

/** SQL that is true while the server's clock is before `deadline` (epoch ms, an integer). */
export function beforeDeadline(deadline: number): string {
  if (!Number.isSafeInteger(deadline)) throw new TypeError(`not a deadline: ${deadline}`);
  return `clock_timestamp() <= to_timestamp(${deadline} / 1000.0)`;
}

/**
 * A statement that aborts its transaction once `deadline` has passed, with SQLSTATE 57014
 * (query_canceled: the same as a statement timeout, which callers already treat as
 * "unreachable"). For a multi-statement query, where it goes just before the implicit commit.
 */
export function deadlineGuard(deadline: number): string {
  return `do $guard$ begin
    if not (${beforeDeadline(deadline)}) then
      raise exception 'the change reached the database after the client gave up on it'
        using errcode = '57014';
    end if;
  end $guard$`;
}
