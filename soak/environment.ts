import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { runMigrations } from '../src/adapters/postgres/migrate.js';
import { createPool } from '../src/adapters/postgres/pool.js';
import { SYNC_TYPES, type SyncType } from '../src/domain/sync-types.js';
import { deleteKeys } from '../test/support/redis.js';

const ROOT = new URL('..', import.meta.url);

/** The server the soak makes its own database on (never the service's own database). */
export const ADMIN_DATABASE_URL =
  process.env.SOAK_DATABASE_ADMIN_URL ??
  process.env.TEST_DATABASE_ADMIN_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL =
  process.env.SOAK_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface SoakDatabase {
  readonly url: string;
  readonly name: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({
    connectionString: ADMIN_DATABASE_URL,
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database of the soak's own, migrated, with `agents` whitelisted agents and the starting
 * intervals, so nothing collides with the tests or a running service.
 */
export async function createSoakDatabase(
  agents: readonly string[],
  intervals: Readonly<Record<SyncType, number>>,
): Promise<SoakDatabase> {
  const name = `sync_soak_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`create database "${name}"`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), { max: 4 });
  const drop = async (): Promise<void> => {
    await pool.end().catch(() => {});
    await admin(`drop database if exists "${name}" with (force)`);
  };
  try {
    await runMigrations(url.toString());
    await pool.query(
      `insert into agents.users (id, username) select id, 'user-' || id from unnest($1::text[]) as id`,
      [agents],
    );
    for (const type of SYNC_TYPES) {
      await pool.query(
        'update system.sync_settings set interval_minutes = $2 where sync_type = $1',
        [type, intervals[type]],
      );
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return { url: url.toString(), name, pool, drop };
}

export const aSoakPrefix = (): string => `soak-${process.pid}-${randomBytes(4).toString('hex')}`;

/** SCAN + UNLINK under the prefix: the Redis is shared. */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

async function newestMtime(dir: URL): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    newest = Math.max(
      newest,
      entry.isDirectory() ? await newestMtime(url) : (await stat(url)).mtimeMs,
    );
  }
  return newest;
}

/**
 * The replicas run the built service, as `npm start` does: `npm run build` (tsc) unless
 * dist/ is already newer than every file under src/.
 */
export async function ensureBuilt(print: (line: string) => void): Promise<void> {
  const built = await stat(new URL('dist/main.js', ROOT)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built > (await newestMtime(new URL('src/', ROOT)))) return;
  print('[soak] building: npm run build');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`npm run build failed (exit ${code})`);
}
