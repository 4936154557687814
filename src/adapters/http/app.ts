import { Router } from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { requireRole } from './auth-middleware.js';
import { refuseWritesWhenDraining } from './draining.js';
import { mapErrors } from './error-middleware.js';
import { jsonBody } from './json-body.js';
import { JwtVerifier } from './jwt-verifier.js';
import { observeRequests } from './metrics.js';
import { buildOpenApiDocument } from './openapi.js';
import type { ReadinessProbe } from './readiness.js';
import { mountAdminPage } from './routes/admin-routes.js';
import { assignRequestId, requestIdOf } from './request-id.js';
import { agentRoutes, type AgentUseCases } from './routes/agent-routes.js';
import { chartRoutes, type ChartUseCases } from './routes/charts-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { identityRoutes } from './routes/identity-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import type { Route } from './routes/route.js';
import { syncRoutes, type SyncUseCases } from './routes/sync-routes.js';
import { windowRoutes } from './routes/windows-routes.js';
import { routingErrors } from './routing-errors.js';

export interface HttpDeps {
  readonly useCases: SyncUseCases;
  /** The per-agent state routes; absent (no AgentStateStore bound): they are not mounted. */
  readonly agentUseCases?: AgentUseCases | undefined;
  /** The dashboard's charts; absent (an older wiring): not mounted. */
  readonly chartUseCases?: ChartUseCases | undefined;
  readonly readiness: readonly ReadinessProbe[];
  /** Merged into every /readyz body, e.g. `{ leader, replicaId }`; it cannot change the verdict. */
  readonly details?: () => Readonly<Record<string, unknown>>;
  readonly metricsRegistry: Registry;
  /**
   * Verifies admin tokens; the caller gives it the secret when known (`setSecret`), and
   * /api/sync answers 503 until then.
   */
  readonly jwt?: JwtVerifier;
  /**
   * Shorthand for `jwt: new JwtVerifier({ secret })` with the default rules (lifetime at most
   * 86400 s, no issuer or audience). Ignored when `jwt` is given; undefined and no `jwt`: the
   * admin API answers 503.
   */
  readonly jwtSecret?: string | undefined;
  readonly logger: Logger;
  /** false once shutdown began: writes get 503, reads are still answered (default: always). */
  readonly acceptingWrites?: () => boolean;
  /** Largest JSON body accepted (bytes-style string); larger is a 413. */
  readonly bodyLimit?: string;
}

export const DEFAULT_BODY_LIMIT = '16kb';

/** Builds the Koa app; the caller owns listening and shutdown. */
export function createHttpApp(deps: HttpDeps): Koa {
  const { logger } = deps;
  const app = new Koa();
  // mapErrors answers and logs every error; Koa itself must never print to the console.
  app.silent = true;
  app.on('error', (err: unknown) => logger.error({ err }, 'Error outside the middleware chain'));

  let openApi: object | undefined;
  const routes: Route[] = [
    ...syncRoutes(deps.useCases),
    ...windowRoutes(deps.useCases),
    ...(deps.agentUseCases ? agentRoutes(deps.agentUseCases) : []),
    ...(deps.chartUseCases ? chartRoutes(deps.chartUseCases) : []),
    ...auditRoutes(deps.useCases),
    ...identityRoutes(),
    ...opsRoutes({
      readiness: deps.readiness,
      details: deps.details,
      metricsRegistry: deps.metricsRegistry,
      openApiDocument: () => (openApi ??= buildOpenApiDocument(routes)),
    }),
  ];

  // Case-sensitive, so that a route is served only under the exact path auth protects.
  const router = new Router({ sensitive: true });
  const body = jsonBody(deps.bodyLimit ?? DEFAULT_BODY_LIMIT);
  for (const route of routes) {
    router[route.method](route.path, ...(route.body ? [body] : []), route.handle);
  }
  // Static HTML/JS/CSS, outside /api/sync (no auth) and outside the OpenAPI document.
  mountAdminPage(router, { logger });

  // Order matters: give the request its id (and answer with it, whatever happens), observe
  // the final reply, map every error, authenticate before anything about the request is
  // judged, then route.
  // Successful requests at debug: the dashboard polls every few seconds and would otherwise
  // bury the tick lines (and cost a formatted line per request); refusals stay visible.
  app.use(assignRequestId());
  app.use(
    observeRequests(deps.metricsRegistry, (entry, ctx) => {
      const line = { ...entry, requestId: requestIdOf(ctx) };
      if (entry.status < 400) logger.debug(line, 'request');
      else logger.info(line, 'request');
    }),
  );
  app.use(mapErrors(logger));
  app.use(requireRole(deps.jwt ?? new JwtVerifier({ secret: deps.jwtSecret })));
  app.use(refuseWritesWhenDraining(deps.acceptingWrites ?? (() => true)));
  app.use(routingErrors);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
