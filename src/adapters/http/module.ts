import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContainerModule } from 'inversify';
import type { Config } from '../../config.js';
import { LEADER_ELECTION, type LeaderElection } from '../../domain/ports/leader-election.js';
import { BOOT_ORDER, PROCESS_COMPONENT, type ProcessComponent } from '../../lifecycle.js';
import * as T from '../../tokens.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { DependencyProbe } from '../probes.js';
import { createHttpApp } from './app.js';
import { JwtVerifier } from './jwt-verifier.js';
import type { AgentUseCases } from './routes/agent-routes.js';
import type { ChartUseCases } from './routes/charts-routes.js';
import type { SyncUseCases } from './routes/sync-routes.js';

/** How long shutdown lets requests in flight finish before it closes their connections. */
const REQUEST_GRACE_MS = 1_500;

/** The HTTP server as a process component: the port it really listens on, for PORT=0. */
export interface HttpServer extends ProcessComponent {
  port(): number;
}

export const HTTP_SERVER = Symbol.for('sync-scheduler/HttpServer');
/**
 * The admin token verifier: JWT_SECRET or the stored secret once it is read, and the identity
 * provider's keys when JWT_JWKS_URL is set.
 */
export const JWT_VERIFIER = Symbol.for('sync-scheduler/JwtVerifier');

/** The admin API, health, readiness and metrics: listens first, closes after the ticks drained. */
export const httpModule = (config: Config) =>
  new ContainerModule(({ bind }) => {
    // One verifier: the auth module hands the stored secret to the one the HTTP app uses.
    bind(JWT_VERIFIER)
      .toResolvedValue((logger: Logger) => JwtVerifier.fromConfig(config, logger), [T.LOGGER])
      .inSingletonScope();
    bind(HTTP_SERVER).toResolvedValue(
      (
        useCases: SyncUseCases,
        probes: DependencyProbe[],
        leadership: LeaderElection,
        metrics: Metrics,
        logger: Logger,
        jwt: JwtVerifier,
        agentUseCases: AgentUseCases | undefined,
        chartUseCases: ChartUseCases,
      ): HttpServer => {
        let server: Server | undefined;
        let acceptingWrites = true;
        const app = createHttpApp({
          useCases,
          agentUseCases,
          chartUseCases,
          // Each probe bounds itself (1 s by default); /readyz also caps any probe it is given.
          readiness: probes,
          details: () => ({ leader: leadership.isLeader(), replicaId: leadership.replicaId }),
          metricsRegistry: metrics.registry,
          jwt,
          logger,
          acceptingWrites: () => acceptingWrites,
        });
        const port = (): number => (server?.address() as AddressInfo | null)?.port ?? config.port;
        return {
          name: 'http',
          order: BOOT_ORDER.http,
          port,
          start: async () => {
            const listening = app.listen(config.port);
            // A client that vanishes mid-request must not keep the process from shutting down.
            listening.keepAliveTimeout = 5_000;
            server = listening;
            await Promise.race([
              once(listening, 'listening'),
              once(listening, 'error').then(([error]) => Promise.reject(error as Error)),
            ]);
            logger.info({ step: 'http', port: port() }, `listening on port ${port()}`);
          },
          quiesce: () => {
            acceptingWrites = false;
          },
          stop: async () => {
            const current = server;
            if (!current?.listening) return;
            const closed = new Promise<void>((resolve) => current.close(() => resolve()));
            current.closeIdleConnections();
            // A request still waiting on an unreachable dependency must not hold the process
            // past its shutdown deadline (RELIABILITY.md, finding 4): after a grace, its
            // connection is closed; the client sees the connection drop, as on a crash.
            const grace = setTimeout(() => current.closeAllConnections(), REQUEST_GRACE_MS);
            await closed;
            clearTimeout(grace);
          },
        };
      },
      [
        T.USE_CASES,
        { serviceIdentifier: T.DEPENDENCY_PROBE, isMultiple: true },
        LEADER_ELECTION,
        T.METRICS,
        T.LOGGER,
        JWT_VERIFIER,
        { serviceIdentifier: T.AGENT_USE_CASES, optional: true },
        T.CHART_USE_CASES,
      ],
    );
    bind(PROCESS_COMPONENT).toService(HTTP_SERVER);
  });
