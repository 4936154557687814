import { ContainerModule } from 'inversify';
import type { Config } from '../../config.js';
import { AGENT_REGISTRY, type AgentRegistry } from '../../domain/ports/agent-registry.js';
import { CLOCK, type Clock } from '../../domain/ports/clock.js';
import * as T from '../../tokens.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { CachingAgentRegistry } from './caching-agent-registry.js';

/** The agent list every tick reads: the source registry behind a short cache. */
export const agentsModule = (config: Config) =>
  new ContainerModule(({ bind }) => {
    bind(AGENT_REGISTRY).toResolvedValue(
      (source: AgentRegistry, clock: Clock, metrics: Metrics, logger: Logger) =>
        new CachingAgentRegistry(source, clock, config.agentCacheTtlMs, {
          lookup: (outcome, error) => {
            metrics.agentLookups.inc({ outcome });
            if (outcome === 'stale') {
              logger.warn({ err: error }, 'agent lookup failed: using the last known agent list');
            }
          },
        }),
      [T.SOURCE_AGENT_REGISTRY, CLOCK, T.METRICS, T.LOGGER],
    );
  });
