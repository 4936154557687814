import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import { createPool } from '../../src/adapters/postgres/pool.js';

const ADMIN_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  /** Closes the pool and drops the database, even with connections still open. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the migrations before handing the database over (default true). */
  readonly migrate?: boolean;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database of its own for one test file, so files can run in parallel. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `sync_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`create database "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString());
  const drop = async (): Promise<void> => {
    await pool.end();
    await admin(`drop database if exists "${name}" with (force)`);
  };
  try {
    if (options.migrate ?? true) await runMigrations(url.toString());
  } catch (error) {
    await drop();
    throw error;
  }
  return { url: url.toString(), pool, drop };
}

export interface AgentFixture {
  readonly id: string;
  readonly username: string;
  /** Omitted: the column default (whitelisted). */
  readonly whitelisted?: boolean;
}

export async function insertAgents(pool: pg.Pool, agents: readonly AgentFixture[]): Promise<void> {
  for (const { id, username, whitelisted } of agents) {
    await (whitelisted === undefined
      ? pool.query('insert into agents.users (id, username) values ($1, $2)', [id, username])
      : pool.query('insert into agents.users (id, username, whitelisted) values ($1, $2, $3)', [
          id,
          username,
          whitelisted,
        ]));
  }
}

export async function deleteAgents(pool: pg.Pool): Promise<void> {
  await pool.query('delete from agents.users');
}
