import type { Registry } from 'prom-client';
import { checkReadiness, type ReadinessProbe } from '../readiness.js';
import { healthResponse, readinessResponse } from '../schemas.js';
import type { Route } from './route.js';

export interface OpsDeps {
  readonly readiness: readonly ReadinessProbe[];
  readonly metricsRegistry: Registry;
  /** Extra fields for the /readyz body, read on every request (e.g. leadership). */
  readonly details?: () => Readonly<Record<string, unknown>>;
  /** Built lazily, after every route is known (it documents this route too). */
  readonly openApiDocument: () => object;
}

/** Probes and introspection for operators and orchestrators; no auth by design. */
export function opsRoutes(deps: OpsDeps): Route[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process answers',
      auth: false,
      success: { status: 200, description: 'Alive', schema: healthResponse },
      errors: [],
      handle: async (ctx) => {
        ctx.body = { success: true, status: 'ok' };
      },
    },
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: every dependency answers within its timeout',
      auth: false,
      success: { status: 200, description: 'Ready', schema: readinessResponse },
      errors: [503],
      handle: async (ctx) => {
        const { ready, checks, failed } = await checkReadiness(deps.readiness);
        // Read after the probes so it is current; spread first so it can't overwrite the verdict.
        const details = deps.details?.() ?? {};
        ctx.status = ready ? 200 : 503;
        ctx.body = ready
          ? { ...details, success: true, checks }
          : {
              ...details,
              success: false,
              error: `Not ready: ${failed.join(', ')} unreachable.`,
              checks,
            };
      },
    },
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      auth: false,
      success: { status: 200, description: 'Prometheus text format', contentType: 'text/plain' },
      errors: [],
      handle: async (ctx) => {
        ctx.type = deps.metricsRegistry.contentType;
        ctx.body = await deps.metricsRegistry.metrics();
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      auth: false,
      success: { status: 200, description: 'OpenAPI 3.1 document' },
      errors: [],
      handle: async (ctx) => {
        ctx.body = deps.openApiDocument();
      },
    },
  ];
}
