import { ConfigError, loadConfig } from './config.js';
import { errorMessage } from './adapters/error-message.js';
import { Service } from './service.js';

/** Composition root: parse config, build, migrate, start, listen, and shut down on a signal. */
const SHUTDOWN_DEADLINE_MS = 4500;

let config;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : errorMessage(error)}\n`);
  process.exit(1);
}

const service = new Service(config);
const { logger } = service;

process.on('unhandledRejection', (reason) => {
  // Should never happen (ticks catch everything); if it does, say so loudly and keep running.
  logger.error({ err: reason }, `unhandled promise rejection: ${errorMessage(reason)}`);
});

const shutdown = (signal: string): void => {
  logger.info({ signal }, `${signal} received: shutting down`);
  // Unref'd: a clean shutdown leaves no handle open, so the process ends by itself before
  // this fires; a leaked socket or timer keeps it alive and turns into exit code 1 here.
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long (an open handle?): exiting anyway');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  service.stop().then(
    () => {
      process.exitCode = 0;
    },
    (error: unknown) => {
      logger.error({ err: error }, `shutdown failed: ${errorMessage(error)}`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));

try {
  await service.start();
} catch (error) {
  if (!service.isStopping()) {
    logger.fatal({ err: error }, `boot failed: ${errorMessage(error)}`);
    await service.stop();
    process.exit(1);
  }
}
