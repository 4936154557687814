import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import type { Container } from 'inversify';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { createHttpApp } from './adapters/http/app.js';
import type { SyncUseCases } from './adapters/http/routes/sync-routes.js';
import { createLogger, describeUrl, type Logger } from './adapters/observability/logger.js';
import { errorMessage } from './adapters/error-message.js';
import { createMetrics, type Metrics } from './adapters/observability/metrics.js';
import { runMigrations } from './adapters/postgres/migrate.js';
import type { PostgresSettingsFeed } from './adapters/postgres/postgres-settings-feed.js';
import { PG_POOL } from './adapters/postgres/tokens.js';
import { postgresProbe, redisProbe, type DependencyProbe } from './adapters/probes.js';
import type { BullMqHistoryRecorder } from './adapters/queue/bullmq-history-recorder.js';
import { closeQueue } from './adapters/queue/create-queue.js';
import { BULLMQ_QUEUE } from './adapters/queue/tokens.js';
import { waitForDependencies } from './adapters/wait-for-dependencies.js';
import type { FollowDesiredState } from './application/follow-desired-state.js';
import type { Config } from './config.js';
import { buildContainer } from './container.js';
import { CLOCK, type Cancel, type Clock } from './domain/ports/clock.js';
import { LEADER_ELECTION, type LeaderElection } from './domain/ports/leader-election.js';
import { SETTINGS_FEED } from './domain/ports/settings-feed.js';
import { SYNC_HISTORY, type SyncHistory } from './domain/ports/sync-history.js';
import type { Scheduler } from './domain/scheduler.js';
import * as T from './tokens.js';

export interface ServiceOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
}

/** The leader trims the sync history this often. */
const PRUNE_EVERY_MS = 10 * 60_000;
/** Shutdown must finish within 5 s: a tick stuck on an unreachable Redis is not waited for. */
const DRAIN_TIMEOUT_MS = 2_000;

/** The whole process as one object: main.ts and the integration tests drive the same thing. */
export class Service {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly container: Container;
  readonly probes: readonly DependencyProbe[];
  private server: Server | undefined;
  private readonly aborter = new AbortController();
  private readonly cancels: Cancel[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    options: ServiceOptions = {},
  ) {
    this.logger = options.logger ?? createLogger(config.logLevel);
    this.metrics = options.metrics ?? createMetrics();
    this.container = buildContainer(config, {
      logger: this.logger,
      metrics: this.metrics,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.probes = [
      postgresProbe(this.get<Pool>(PG_POOL)),
      redisProbe(this.get<Redis>(T.REDIS_CONNECTION)),
    ];
  }

  get scheduler(): Scheduler {
    return this.get<Scheduler>(T.SCHEDULER);
  }

  get leadership(): LeaderElection {
    return this.get<LeaderElection>(LEADER_ELECTION);
  }

  /** The port actually bound (useful with PORT=0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.config.port;
  }

  /**
   * Listens at once (so /healthz and /readyz answer while dependencies are late), waits for
   * PostgreSQL and Redis, migrates, follows the stored desired state, then campaigns for
   * leadership: only the leader's scheduler keeps timers.
   */
  async start(): Promise<void> {
    const { logger, config } = this;
    logger.info(
      {
        step: 'boot',
        database: describeUrl(config.databaseUrl),
        redis: describeUrl(config.redisUrl),
        queue: config.queueName,
        prefix: config.queuePrefix,
        replicaId: this.leadership.replicaId,
      },
      'booting sync-scheduler',
    );
    await this.listen();
    await waitForDependencies(this.probes, logger, { signal: this.aborter.signal });
    const applied = await runMigrations(config.databaseUrl, (message, level) =>
      logger[level]({ step: 'migrate' }, message),
    );
    logger.info(
      { step: 'migrate', applied },
      applied.length
        ? `migrations applied: ${applied.join(', ')}`
        : 'database schema is up to date',
    );
    this.aborter.signal.throwIfAborted();
    await this.scheduler.setLeader(false);
    await this.get<FollowDesiredState>(T.FOLLOW_DESIRED_STATE).execute();
    this.logDesiredState();
    this.leadership.start((isLeader) => void this.onLeadership(isLeader));
    this.get<BullMqHistoryRecorder>(T.HISTORY_RECORDER).start();
    this.cancels.push(this.get<Clock>(CLOCK).every(PRUNE_EVERY_MS, () => void this.prune()));
  }

  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Stops timers, lets a tick in flight finish, gives leadership up, closes every connection. */
  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  private get<T>(token: symbol): T {
    return this.container.get<T>(token);
  }

  private async listen(): Promise<void> {
    const app = createHttpApp({
      useCases: this.get<SyncUseCases>(T.USE_CASES),
      // Each probe bounds itself (1 s by default); /readyz also caps any probe it is given.
      readiness: this.probes,
      details: () => ({ leader: this.leadership.isLeader(), replicaId: this.leadership.replicaId }),
      metricsRegistry: this.metrics.registry,
      jwtSecret: this.config.jwtSecret,
      logger: this.logger,
    });
    const server = app.listen(this.config.port);
    // A client that vanishes mid-request must not keep the process from shutting down.
    server.keepAliveTimeout = 5_000;
    this.server = server;
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
    this.logger.info({ step: 'http', port: this.port }, `listening on port ${this.port}`);
  }

  private async onLeadership(isLeader: boolean): Promise<void> {
    this.metrics.leader.set(isLeader ? 1 : 0);
    await this.scheduler.setLeader(isLeader);
    this.logger.info(
      { event: 'leadership', isLeader, replicaId: this.leadership.replicaId },
      isLeader
        ? 'this replica now leads: it schedules the syncs'
        : 'this replica does not lead: it stopped scheduling',
    );
  }

  private logDesiredState(): void {
    const intervals = this.scheduler.getDetailedIntervals();
    const running = this.scheduler.isRunning();
    this.logger.info(
      { step: 'scheduler', running, intervals, enabled: this.scheduler.getEnabled() },
      running
        ? `scheduler started with intervals (minutes) ${JSON.stringify(intervals)}; ticks begin once this replica leads`
        : 'auto-sync is stopped (an operator stopped it); POST /api/sync/auto-sync/start resumes it',
    );
  }

  private async prune(): Promise<void> {
    if (!this.leadership.isLeader()) return;
    try {
      const removed = await this.get<SyncHistory>(SYNC_HISTORY).prune();
      if (removed > 0) this.logger.info({ removed }, `sync history: pruned ${removed} old events`);
    } catch (error) {
      this.logger.warn({ err: error }, `sync history could not be pruned: ${errorMessage(error)}`);
    }
  }

  private async close(): Promise<void> {
    const { logger } = this;
    this.aborter.abort(new Error('shutting down'));
    for (const cancel of this.cancels.splice(0)) cancel();
    this.get<FollowDesiredState>(T.FOLLOW_DESIRED_STATE).stop();
    this.scheduler.stop();
    const drained = await Promise.race([
      this.scheduler.drain().then(() => true),
      new Promise<false>((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS, false).unref()),
    ]);
    if (!drained) {
      logger.warn('shutdown: a tick was still in flight; closing without it');
      // Cut the producer first: the tick would keep building and sending addBulk chunks,
      // eating the CPU the rest of the shutdown needs. Each job is its own atomic script in
      // Redis, so nothing is left half-written; the next tick deduplicates what was stored.
      this.get<Redis>(T.REDIS_CONNECTION).disconnect();
    }
    const results = await Promise.allSettled([
      this.leadership.stop(),
      this.get<BullMqHistoryRecorder>(T.HISTORY_RECORDER).close(),
      this.get<PostgresSettingsFeed>(SETTINGS_FEED).close(),
      this.closeServer(),
    ]);
    results.push(
      ...(await Promise.allSettled([
        closeQueue({
          queue: this.get<Queue>(BULLMQ_QUEUE),
          connection: this.get<Redis>(T.REDIS_CONNECTION),
        }),
        this.get<Pool>(PG_POOL).end(),
      ])),
    );
    for (const result of results) {
      if (result.status === 'rejected') logger.warn(`shutdown: ${errorMessage(result.reason)}`);
    }
    logger.info('sync-scheduler stopped');
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  }
}
