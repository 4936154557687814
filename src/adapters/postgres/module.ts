import { ContainerModule } from 'inversify';
import type { Pool } from 'pg';
import type { Config } from '../../config.js';
import { ERP_BREAKER_RULES, PAIR_BREAKER_RULES } from '../../domain/breakers.js';
import { AGENT_STATE_STORE } from '../../domain/ports/agent-state-store.js';
import { AUDIT_LOG } from '../../domain/ports/audit-log.js';
import { SETTINGS_FEED } from '../../domain/ports/settings-feed.js';
import { SETTINGS_STORE } from '../../domain/ports/settings-store.js';
import { SYNC_HISTORY } from '../../domain/ports/sync-history.js';
import { BOOT_ORDER, PROCESS_COMPONENT, type ProcessComponent } from '../../lifecycle.js';
import * as T from '../../tokens.js';
import type { Logger } from '../observability/logger.js';
import { componentLog } from '../observability/component-log.js';
import { postgresProbe } from '../probes.js';
import { runMigrations } from './migrate.js';
import { createPool, endPool } from './pool.js';

/** How long shutdown waits for queries in flight before it cuts their connections. */
const POOL_END_GRACE_MS = 1_000;
import { PostgresAgentRegistry } from './postgres-agent-registry.js';
import { PostgresAgentStateStore } from './postgres-agent-state-store.js';
import { PostgresAuditLog } from './postgres-audit-log.js';
import { PostgresRunLog } from './postgres-run-log.js';
import { PostgresSettingsFeed } from './postgres-settings-feed.js';
import { PostgresSettingsStore } from './postgres-settings-store.js';
import {
  PostgresSyncHistory,
  SYNC_HISTORY_RETENTION,
  type SyncHistoryRetention,
} from './postgres-sync-history.js';
import { PG_POOL } from './tokens.js';

/** PostgreSQL: the pool (built synchronously; the boot wait comes first), stores, feed, schema. */
export const postgresModule = (config: Config, logger: Logger) =>
  new ContainerModule(({ bind }) => {
    const pool = createPool(config.databaseUrl, {
      onError: (error) =>
        logger.warn({ err: error }, `postgres: idle connection failed: ${error.message}`),
    });
    // The single history writer's own connections: at fleet scale it writes thousands of
    // outcomes a second, and on a slow database it must not queue the ticks' and the admin
    // API's queries behind its batches (test/fault/slow-postgres.test.ts).
    const writerPool = createPool(config.databaseUrl, {
      max: 2,
      onError: (error) =>
        logger.warn(
          { err: error },
          `postgres (history writer): idle connection failed: ${error.message}`,
        ),
    });
    const feed = new PostgresSettingsFeed(
      config.databaseUrl,
      componentLog(logger, 'settings-feed'),
    );
    const agentRegistry = new PostgresAgentRegistry(pool, {
      column: config.agentActivityColumn,
      log: componentLog(logger, 'agent-registry'),
    });
    bind(PG_POOL).toConstantValue(pool);
    bind(SETTINGS_STORE).to(PostgresSettingsStore);
    bind(T.SOURCE_AGENT_REGISTRY).toConstantValue(agentRegistry);
    bind(T.POSTGRES_RUN_LOG).to(PostgresRunLog);
    // The chart counts' bucket is the scheduler minute; the other bounds keep their defaults.
    const retention: SyncHistoryRetention = { minuteMs: config.minuteMs };
    bind(SYNC_HISTORY_RETENTION).toConstantValue(retention);
    bind(SYNC_HISTORY).to(PostgresSyncHistory);
    bind(PAIR_BREAKER_RULES).toConstantValue(config.pairBreakerRules);
    bind(ERP_BREAKER_RULES).toConstantValue(config.erpBreakerRules);
    bind(AGENT_STATE_STORE).to(PostgresAgentStateStore);
    bind(AUDIT_LOG).to(PostgresAuditLog);
    bind(T.WRITER_SYNC_HISTORY).toConstantValue(new PostgresSyncHistory(writerPool, retention));
    bind(T.WRITER_AGENT_STATE).toConstantValue(
      new PostgresAgentStateStore(writerPool, config.pairBreakerRules, config.erpBreakerRules),
    );
    bind(SETTINGS_FEED).toConstantValue(feed);
    bind(T.DEPENDENCY_PROBE).toConstantValue(postgresProbe(pool));

    bind<ProcessComponent>(PROCESS_COMPONENT).toConstantValue({
      name: 'postgres pool',
      order: BOOT_ORDER.connections,
      stop: () => endPool(pool as Pool, POOL_END_GRACE_MS),
    });
    bind<ProcessComponent>(PROCESS_COMPONENT).toConstantValue({
      name: 'postgres pool (history writer)',
      order: BOOT_ORDER.connections,
      stop: () => endPool(writerPool, POOL_END_GRACE_MS),
    });
    bind<ProcessComponent>(PROCESS_COMPONENT).toConstantValue({
      name: 'settings feed',
      order: BOOT_ORDER.connections,
      stop: () => feed.close(),
    });
    bind<ProcessComponent>(PROCESS_COMPONENT).toConstantValue({
      name: 'migrations',
      order: BOOT_ORDER.migrations,
      start: async (signal) => {
        const applied = await runMigrations(
          config.databaseUrl,
          (message, level) => logger[level]({ step: 'migrate' }, message),
          signal,
        );
        logger.info(
          { step: 'migrate', applied },
          applied.length
            ? `migrations applied: ${applied.join(', ')}`
            : 'database schema is up to date',
        );
        if (signal.aborted) return;
        // Says at boot whether the activity tiers apply (the registry keeps the answer). A
        // failed check only delays that line: the first agent lookup checks again.
        await agentRegistry
          .activityKnown()
          .catch((error: unknown) =>
            logger.warn(
              { step: 'migrate', err: error },
              'agents.users could not be checked for the activity column yet: the first agent lookup tries again',
            ),
          );
      },
    });
  });
