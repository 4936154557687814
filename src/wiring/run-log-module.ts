import { ContainerModule } from 'inversify';
import { errorMessage } from '../adapters/error-message.js';
import { NewestRunLog } from '../adapters/newest-run-log.js';
import type { Logger } from '../adapters/observability/logger.js';
import { RUN_LOG, type RunLog } from '../domain/ports/run-log.js';
import * as T from '../tokens.js';

/**
 * Last runs live in PostgreSQL and, beside the lease, in Redis; the scheduler reads the newer
 * of the two. A handover during a PostgreSQL outage then keeps the phase the last leader
 * wrote to Redis instead of postponing every type by a whole interval.
 */
export const runLogModule = () =>
  new ContainerModule(({ bind }) => {
    bind(RUN_LOG).toResolvedValue(
      (postgres: RunLog, redis: RunLog, logger: Logger) =>
        new NewestRunLog(postgres, redis, (partner, error) =>
          logger.warn(
            { err: error, runLog: partner === 'first' ? 'postgres' : 'redis' },
            `run log: the ${partner === 'first' ? 'PostgreSQL' : 'Redis'} copy failed (${errorMessage(error)}); using the other`,
          ),
        ),
      [T.POSTGRES_RUN_LOG, T.REDIS_RUN_LOG, T.LOGGER],
    );
  });
