import { ContainerModule } from 'inversify';
import { TICK_OBSERVER } from '../../domain/ports/tick-observer.js';
import * as T from '../../tokens.js';
import type { Logger } from './logger.js';
import { LoggingTickObserver } from './logging-tick-observer.js';
import type { Metrics } from './metrics.js';

/** Logs and metrics: built by the caller (one per process), shared by every component. */
export const observabilityModule = (logger: Logger, metrics: Metrics) =>
  new ContainerModule(({ bind }) => {
    bind(T.LOGGER).toConstantValue(logger);
    bind(T.METRICS).toConstantValue(metrics);
    bind(TICK_OBSERVER).toConstantValue(new LoggingTickObserver(logger, metrics));
  });
