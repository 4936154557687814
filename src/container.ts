import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import type { Queue } from 'bullmq';
import { CachingAgentRegistry } from './adapters/agents/caching-agent-registry.js';
import { TimerClock } from './adapters/clock/timer-clock.js';
import type { SyncUseCases } from './adapters/http/routes/sync-routes.js';
import type { Logger } from './adapters/observability/logger.js';
import { LoggingTickObserver } from './adapters/observability/logging-tick-observer.js';
import type { Metrics } from './adapters/observability/metrics.js';
import { createPool } from './adapters/postgres/pool.js';
import { PostgresAgentRegistry } from './adapters/postgres/postgres-agent-registry.js';
import { PostgresRunLog } from './adapters/postgres/postgres-run-log.js';
import { PostgresSettingsFeed } from './adapters/postgres/postgres-settings-feed.js';
import { PostgresSettingsStore } from './adapters/postgres/postgres-settings-store.js';
import { PostgresSyncHistory } from './adapters/postgres/postgres-sync-history.js';
import { PG_POOL } from './adapters/postgres/tokens.js';
import { BullMqHistoryRecorder } from './adapters/queue/bullmq-history-recorder.js';
import { BullMqJobQueue } from './adapters/queue/bullmq-job-queue.js';
import { createBullMqQueue } from './adapters/queue/create-queue.js';
import {
  RedisLeaderElection,
  type LeaderElectionLog,
} from './adapters/queue/redis-leader-election.js';
import { BULLMQ_QUEUE } from './adapters/queue/tokens.js';
import { FollowDesiredState } from './application/follow-desired-state.js';
import { GetAutoSyncStatus } from './application/get-auto-sync-status.js';
import { GetIntervals } from './application/get-intervals.js';
import { GetMonitoringStatus } from './application/get-monitoring-status.js';
import { SetSyncEnabled } from './application/set-sync-enabled.js';
import { StartAutoSync } from './application/start-auto-sync.js';
import { StopAutoSync } from './application/stop-auto-sync.js';
import { TriggerSync } from './application/trigger-sync.js';
import { UpdateInterval } from './application/update-interval.js';
import type { Config } from './config.js';
import { AGENT_REGISTRY, type AgentRegistry } from './domain/ports/agent-registry.js';
import { CLOCK, type Clock } from './domain/ports/clock.js';
import { JOB_QUEUE, type JobQueue } from './domain/ports/job-queue.js';
import { LEADER_ELECTION, type LeaderElection } from './domain/ports/leader-election.js';
import { QUEUE_INSPECTOR, type QueueInspector } from './domain/ports/queue-inspector.js';
import { RUN_LOG, type RunLog } from './domain/ports/run-log.js';
import { SETTINGS_FEED, type SettingsFeed } from './domain/ports/settings-feed.js';
import { SETTINGS_STORE, type SettingsStore } from './domain/ports/settings-store.js';
import { SYNC_HISTORY, type SyncHistory } from './domain/ports/sync-history.js';
import { TICK_OBSERVER, type TickObserver } from './domain/ports/tick-observer.js';
import { Scheduler } from './domain/scheduler.js';
import * as T from './tokens.js';

export interface Infrastructure {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Tests pass a ManualClock; production uses the real timers. */
  readonly clock?: Clock;
}

/** Long-lived connections (settings feed, leader election) log through pino, with their name. */
const componentLog =
  (logger: Logger, component: string): LeaderElectionLog =>
  (message, level, error) =>
    logger[level]({ component, ...(error ? { err: error } : {}) }, message);

const coreModule = (config: Config, infra: Infrastructure) =>
  new ContainerModule(({ bind }) => {
    bind(T.CONFIG).toConstantValue(config);
    bind(T.LOGGER).toConstantValue(infra.logger);
    bind(T.METRICS).toConstantValue(infra.metrics);
    if (infra.clock) bind(CLOCK).toConstantValue(infra.clock);
    else bind(CLOCK).to(TimerClock);
    bind(TICK_OBSERVER).toConstantValue(new LoggingTickObserver(infra.logger, infra.metrics));
  });

/** pg.Pool is built synchronously; Service.start waits for the server before any query. */
const postgresModule = (config: Config, logger: Logger) =>
  new ContainerModule(({ bind }) => {
    bind(PG_POOL).toConstantValue(
      createPool(config.databaseUrl, {
        onError: (error) =>
          logger.warn({ err: error }, `postgres: idle connection failed: ${error.message}`),
      }),
    );
    bind(SETTINGS_STORE).to(PostgresSettingsStore);
    bind(T.SOURCE_AGENT_REGISTRY).to(PostgresAgentRegistry);
    bind(RUN_LOG).to(PostgresRunLog);
    bind(SYNC_HISTORY).to(PostgresSyncHistory);
    bind(SETTINGS_FEED).toConstantValue(
      new PostgresSettingsFeed(config.databaseUrl, componentLog(logger, 'settings-feed')),
    );
  });

const agentsModule = (config: Config) =>
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

const queueModule = (config: Config, logger: Logger) =>
  new ContainerModule(({ bind }) => {
    const { queue, connection } = createBullMqQueue({
      redisUrl: config.redisUrl,
      queueName: config.queueName,
      prefix: config.queuePrefix,
      onError: (error) => logger.warn({ err: error }, `redis: ${error.message}`),
    });
    bind(BULLMQ_QUEUE).toConstantValue(queue);
    // Leadership lives next to the queue it guards, on a connection of its own: whoever cannot
    // reach Redis cannot enqueue anyway, and a PostgreSQL outage does not stop scheduling.
    bind(LEADER_ELECTION).toConstantValue(
      new RedisLeaderElection({
        redisUrl: config.redisUrl,
        key: `${config.queuePrefix}:${config.queueName}:sync-scheduler:leader`,
        pollMs: config.leaderPollMs,
        leaseMs: config.leaderLeaseMs,
        log: componentLog(logger, 'leader-election'),
      }),
    );
    bind(T.REDIS_CONNECTION).toConstantValue(connection);
    bind(BullMqJobQueue).toSelf();
    bind(JOB_QUEUE).toService(BullMqJobQueue);
    bind(QUEUE_INSPECTOR).toService(BullMqJobQueue);
    bind(T.HISTORY_RECORDER).toResolvedValue(
      (bullQueue: Queue, history: SyncHistory) =>
        new BullMqHistoryRecorder(bullQueue, history, {
          redisUrl: config.redisUrl,
          queueName: config.queueName,
          prefix: config.queuePrefix,
          onError: (error) =>
            logger.warn({ err: error }, 'sync history: an outcome was not recorded'),
        }),
      [BULLMQ_QUEUE, SYNC_HISTORY],
    );
  });

const applicationModule = (config: Config, logger: Logger) =>
  new ContainerModule(({ bind }) => {
    bind(T.SCHEDULER).toResolvedValue(
      (
        clock: Clock,
        queue: JobQueue,
        agents: AgentRegistry,
        settings: SettingsStore,
        runLog: RunLog,
        observer: TickObserver,
      ) => new Scheduler({ clock, queue, agents, settings, runLog, observer }),
      [CLOCK, JOB_QUEUE, AGENT_REGISTRY, SETTINGS_STORE, RUN_LOG, TICK_OBSERVER],
    );
    bind(T.FOLLOW_DESIRED_STATE).toResolvedValue(
      (scheduler: Scheduler, settings: SettingsStore, feed: SettingsFeed, clock: Clock) =>
        new FollowDesiredState(scheduler, settings, feed, clock, {
          resyncMs: config.settingsResyncMs,
          onError: (error) =>
            logger.warn({ err: error }, 'desired state could not be reloaded; will retry'),
        }),
      [T.SCHEDULER, SETTINGS_STORE, SETTINGS_FEED, CLOCK],
    );
    bind(T.USE_CASES).toResolvedValue(
      (
        scheduler: Scheduler,
        settings: SettingsStore,
        agents: AgentRegistry,
        queue: JobQueue,
        inspector: QueueInspector,
        runLog: RunLog,
        history: SyncHistory,
        leadership: LeaderElection,
        clock: Clock,
      ): SyncUseCases => ({
        startAutoSync: new StartAutoSync(scheduler, settings),
        stopAutoSync: new StopAutoSync(scheduler, settings),
        getAutoSyncStatus: new GetAutoSyncStatus(scheduler),
        getIntervals: new GetIntervals(scheduler),
        updateInterval: new UpdateInterval(scheduler),
        setSyncEnabled: new SetSyncEnabled(scheduler),
        triggerSync: new TriggerSync(agents, queue, clock),
        getMonitoringStatus: new GetMonitoringStatus(
          scheduler,
          inspector,
          runLog,
          history,
          leadership,
          clock,
        ),
      }),
      [
        T.SCHEDULER,
        SETTINGS_STORE,
        AGENT_REGISTRY,
        JOB_QUEUE,
        QUEUE_INSPECTOR,
        RUN_LOG,
        SYNC_HISTORY,
        LEADER_ELECTION,
        CLOCK,
      ],
    );
  });

/** Which adapter serves which port. Every binding is a singleton: one pool, one queue. */
export function buildContainer(config: Config, infra: Infrastructure): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(
    coreModule(config, infra),
    postgresModule(config, infra.logger),
    agentsModule(config),
    queueModule(config, infra.logger),
    applicationModule(config, infra.logger),
  );
  return container;
}
