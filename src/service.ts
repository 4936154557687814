import type { Container } from 'inversify';
import { errorMessage } from './adapters/error-message.js';
import { HTTP_SERVER, type HttpServer } from './adapters/http/module.js';
import type { SyncUseCases } from './adapters/http/routes/sync-routes.js';
import { createLogger, describeUrl, type Logger } from './adapters/observability/logger.js';
import { createMetrics, type Metrics } from './adapters/observability/metrics.js';
import type { SchedulingService } from './application/scheduling-service.js';
import type { Config } from './config.js';
import { buildContainer } from './container.js';
import type { Clock } from './domain/ports/clock.js';
import { LEADER_ELECTION, type LeaderElection } from './domain/ports/leader-election.js';
import { PROCESS_COMPONENT, type ProcessComponent } from './lifecycle.js';
import * as T from './tokens.js';

/** How long shutdown waits for the boot step in flight to notice it was aborted. */
const BOOT_STEP_GRACE_MS = 2_500;
/** How long one component may take to stop before shutdown goes on without it. */
const STOP_TIMEOUT_MS = 3_000;

export interface ServiceOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
}

/**
 * The whole process as one object: main.ts and the integration tests drive the same thing.
 * It knows only process components (src/lifecycle.ts): it starts them in their boot order
 * and stops them in reverse; what each one is, its module says.
 */
export class Service {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly container: Container;
  private readonly components: readonly ProcessComponent[];
  private readonly aborter = new AbortController();
  private stopping: Promise<void> | undefined;
  /** The boot in flight: shutdown lets its current step give up before closing under it. */
  private booting: Promise<void> | undefined;

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
    this.components = [...this.container.getAll<ProcessComponent>(PROCESS_COMPONENT)].sort(
      (a, b) => a.order - b.order,
    );
  }

  get scheduler(): SchedulingService {
    return this.container.get<SchedulingService>(T.SCHEDULER);
  }

  get useCases(): SyncUseCases {
    return this.container.get<SyncUseCases>(T.USE_CASES);
  }

  get leadership(): LeaderElection {
    return this.container.get<LeaderElection>(LEADER_ELECTION);
  }

  /** The port actually bound (useful with PORT=0). */
  get port(): number {
    return this.container.get<HttpServer>(HTTP_SERVER).port();
  }

  /**
   * Starts every component in boot order: listen, wait for PostgreSQL and Redis, migrate,
   * follow the desired state, campaign for leadership. Rejects when one fails, or with the
   * abort reason when stop() was called meanwhile.
   */
  start(): Promise<void> {
    this.booting ??= this.boot();
    return this.booting;
  }

  private async boot(): Promise<void> {
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
    const { signal } = this.aborter;
    for (const component of this.components) {
      if (!component.start) continue;
      signal.throwIfAborted();
      await component.start(signal);
    }
    signal.throwIfAborted();
  }

  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Refuses new commands, then stops what started in reverse boot order: leadership given
   * up and timers cleared, ticks drained, HTTP closed, connections closed. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  private async close(): Promise<void> {
    this.aborter.abort(new Error('shutting down'));
    // Every component, started or not: what it built with the container must be released.
    const reversed = [...this.components].reverse();
    for (const component of reversed) component.quiesce?.();
    // A step still booting (a probe in flight, a migration lock) was told to give up: let it,
    // so nothing it opens afterwards outlives the connections closed below.
    await Promise.race([
      this.booting?.catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, BOOT_STEP_GRACE_MS).unref()),
    ]);
    for (const component of reversed) {
      this.logger.debug({ component: component.name }, `shutdown: stopping ${component.name}`);
      const stopped = await Promise.race([
        Promise.resolve(component.stop?.()).then(
          () => true,
          (error: unknown) => {
            this.logger.warn(`shutdown: ${component.name}: ${errorMessage(error)}`);
            return true;
          },
        ),
        new Promise<false>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, false).unref()),
      ]);
      // One stuck component must not keep the others (and their connections) open.
      if (!stopped) {
        this.logger.warn(
          `shutdown: ${component.name} did not stop within ${STOP_TIMEOUT_MS} ms; going on`,
        );
      }
    }
    this.logger.info('sync-scheduler stopped');
  }
}
