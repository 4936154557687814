import pg from 'pg';

export interface PoolOptions {
  /** Told about a failed idle client (server restart, killed backend); the pool drops it. */
  readonly onError?: (error: Error) => void;
  readonly max?: number;
  /** Bounds both opening a connection and waiting for a free one. */
  readonly connectionTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
}

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
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
    query_timeout: statementTimeoutMs + 1_000,
    keepAlive: true,
    application_name: 'sync-scheduler',
  });
  // Without a listener, an idle client's error is an unhandled 'error' event: a crash.
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}
