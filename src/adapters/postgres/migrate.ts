import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

/**
 * The repo-root `migrations/` folder. This module sits three levels below the root both as
 * src/adapters/postgres/migrate.ts (tsx) and as dist/adapters/postgres/migrate.js (node).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

export type MigrationLogLevel = 'info' | 'warn' | 'error';
/** A plain `(message) => void` fits too. */
export type MigrationLog = (message: string, level: MigrationLogLevel) => void;

/** Applies pending migrations; resolves with the names applied (none when up to date). */
export async function runMigrations(
  databaseUrl: string,
  log: MigrationLog = () => {},
  signal?: AbortSignal,
): Promise<string[]> {
  signal?.throwIfAborted();
  // A dedicated session: the advisory lock is session-scoped, and the pool's statement
  // timeout must not cut short a wait for another replica's migration.
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: 5_000,
    // Bounds the wait for the advisory lock and for DDL locks: reject rather than hang.
    lock_timeout: 60_000,
    application_name: 'sync-scheduler-migrate',
  });
  client.on('error', (error) => log(`migration connection failed: ${error.message}`, 'error'));
  // Shutting down while waiting for another replica's lock: end the session, so the wait
  // (up to lock_timeout) does not keep the process alive.
  const abort = (): void => void client.end().catch(() => {});
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await client.connect();
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsSchema: 'system',
      createMigrationsSchema: true,
      migrationsTable: 'pgmigrations',
      singleTransaction: true,
      // The default ('fail') would make all but one of several booting replicas crash.
      advisoryLockMode: 'wait',
      logger: {
        info: (message) => log(message, 'info'),
        warn: (message) => log(message, 'warn'),
        error: (message) => log(message, 'error'),
      },
    });
    return applied.map((migration) => migration.name);
  } finally {
    signal?.removeEventListener('abort', abort);
    await client.end().catch(() => {});
  }
}
