import 'reflect-metadata';
import { Container } from 'inversify';
import { agentsModule } from './adapters/agents/module.js';
import { clockModule } from './adapters/clock/module.js';
import { httpModule } from './adapters/http/module.js';
import type { Logger } from './adapters/observability/logger.js';
import type { Metrics } from './adapters/observability/metrics.js';
import { observabilityModule } from './adapters/observability/module.js';
import { postgresModule } from './adapters/postgres/module.js';
import { queueModule } from './adapters/queue/module.js';
import type { Config } from './config.js';
import type { Clock } from './domain/ports/clock.js';
import * as T from './tokens.js';
import { applicationModule } from './wiring/application-module.js';
import { authModule } from './wiring/auth-module.js';
import { runLogModule } from './wiring/run-log-module.js';
import { scrapeModule } from './wiring/scrape-module.js';

export interface Infrastructure {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Tests pass a ManualClock; production uses the real timers. */
  readonly clock?: Clock;
}

/**
 * Which adapter serves which port: each adapter package brings its own module, with the
 * process components it needs started and stopped. Every binding is a singleton.
 */
export function buildContainer(config: Config, infra: Infrastructure): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(T.CONFIG).toConstantValue(config);
  container.load(
    observabilityModule(infra.logger, infra.metrics),
    clockModule(infra.clock),
    postgresModule(config, infra.logger),
    agentsModule(config),
    queueModule(config, infra.logger),
    applicationModule(config),
    httpModule(config),
    authModule(config),
    runLogModule(),
    scrapeModule(),
  );
  return container;
}
