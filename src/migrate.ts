import { runMigrations } from './adapters/postgres/migrate.js';

// src/config.ts will own environment parsing; until then, the documented default.
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function describe(error: unknown): string {
  // A refused connection to a host with several addresses is an AggregateError whose own
  // message is empty; its first cause says what happened.
  if (error instanceof AggregateError && !error.message) return describe(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}

try {
  const applied = await runMigrations(databaseUrl);
  process.stdout.write(
    applied.length === 0
      ? 'migrations: database is up to date\n'
      : `migrations: applied ${applied.join(', ')}\n`,
  );
} catch (error) {
  process.stderr.write(`migrations failed: ${describe(error)}\n`);
  process.exitCode = 1;
}
