import { runMigrations } from './adapters/postgres/migrate.js';
import { loadConfig } from './config.js';

function describe(error: unknown): string {
  // A refused connection to a host with several addresses is an AggregateError whose own
  // message is empty; its first cause says what happened.
  if (error instanceof AggregateError && !error.message) return describe(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}

try {
  const applied = await runMigrations(loadConfig().databaseUrl);
  process.stdout.write(
    applied.length === 0
      ? 'migrations: database is up to date\n'
      : `migrations: applied ${applied.join(', ')}\n`,
  );
} catch (error) {
  process.stderr.write(`migrations failed: ${describe(error)}\n`);
  process.exitCode = 1;
}
