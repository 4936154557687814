import { runMigrations } from './adapters/postgres/migrate.js';
import { loadConfig } from './config.js';
import { errorMessage } from './adapters/error-message.js';

try {
  const applied = await runMigrations(loadConfig().databaseUrl);
  process.stdout.write(
    applied.length === 0
      ? 'migrations: database is up to date\n'
      : `migrations: applied ${applied.join(', ')}\n`,
  );
} catch (error) {
  process.stderr.write(`migrations failed: ${errorMessage(error)}\n`);
  process.exitCode = 1;
}
