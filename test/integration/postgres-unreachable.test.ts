import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import { createPool } from '../../src/adapters/postgres/pool.js';
import { PostgresAgentRegistry } from '../../src/adapters/postgres/postgres-agent-registry.js';
import { PostgresSettingsStore } from '../../src/adapters/postgres/postgres-settings-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

// Nothing listens on port 1: connections are refused at once.
const CLOSED_PORT_URL = 'postgres://postgres@127.0.0.1:1/postgres';

/** Accepts TCP connections and never says a word: a server that hangs. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `postgres://postgres@127.0.0.1:${address.port}/postgres`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function elapsedMs(action: () => Promise<unknown>): Promise<number> {
  const startedAt = performance.now();
  await expect(action()).rejects.toThrow();
  return performance.now() - startedAt;
}

describe('PostgreSQL adapters when the database is unreachable', () => {
  const pool = createPool(CLOSED_PORT_URL);
  afterAll(() => pool.end());

  it('PostgresSettingsStore rejects promptly', async () => {
    const store = new PostgresSettingsStore(pool);
    expect(await elapsedMs(() => store.loadIntervals())).toBeLessThan(2_000);
    expect(await elapsedMs(() => store.saveInterval('orders', 10))).toBeLessThan(2_000);
  });

  it('PostgresAgentRegistry rejects promptly', async () => {
    const registry = new PostgresAgentRegistry(pool);
    expect(await elapsedMs(() => registry.listActiveAgentIds())).toBeLessThan(2_000);
  });

  it('runMigrations rejects promptly', async () => {
    expect(await elapsedMs(() => runMigrations(CLOSED_PORT_URL))).toBeLessThan(2_000);
  });
});

describe('PostgreSQL adapters when the server accepts connections but never answers', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it('PostgresSettingsStore rejects once the connection timeout expires', async () => {
    const pool = createPool(server.url, { connectionTimeoutMs: 300 });
    try {
      const ms = await elapsedMs(() => new PostgresSettingsStore(pool).loadIntervals());
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(3_000);
    } finally {
      await pool.end();
    }
  });
});

describe('createPool', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db?.drop());

  it('reports an idle connection killed by the server instead of crashing', async () => {
    const errors: Error[] = [];
    const pool = createPool(db.url, { onError: (error) => errors.push(error) });
    try {
      const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      await db.pool.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
      await expect.poll(() => errors.length).toBe(1);

      // The pool dropped the dead client and serves the next query on a new one.
      await expect(pool.query('select 1')).resolves.toBeDefined();
    } finally {
      await pool.end();
    }
  });

  it('cancels a statement that runs past the statement timeout', async () => {
    const pool = createPool(db.url, { statementTimeoutMs: 200 });
    try {
      await expect(pool.query('select pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await pool.end();
    }
  });
});
