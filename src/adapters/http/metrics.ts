import type { Context, Middleware } from 'koa';
import { Histogram, type Registry } from 'prom-client';

const NAME = 'http_request_duration_seconds';
type Labels = 'method' | 'route' | 'status';

/** The router's path pattern, never the raw URL: one series per route, not per request. */
export function routeLabel(ctx: Context): string {
  const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof route === 'string' ? route : 'unmatched';
}

function histogramIn(registry: Registry): Histogram<Labels> {
  // A second app on the same registry (tests, a restart in-process) reuses the metric.
  const existing = registry.getSingleMetric(NAME);
  if (existing) return existing as Histogram<Labels>;
  return new Histogram<Labels>({
    name: NAME,
    help: 'HTTP request duration in seconds, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
}

/**
 * Outermost middleware: it sees the final status, after the error mapper has replied.
 * `onDone` gets the same figures for the access log.
 */
export function observeRequests(
  registry: Registry,
  onDone: (
    entry: { method: string; route: string; status: number; ms: number },
    ctx: Context,
  ) => void,
): Middleware {
  const histogram = histogramIn(registry);
  return async (ctx, next) => {
    const startedAt = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const entry = { method: ctx.method, route: routeLabel(ctx), status: ctx.status };
      histogram.observe({ ...entry, status: String(entry.status) }, seconds);
      onDone({ ...entry, ms: Math.round(seconds * 1e4) / 10 }, ctx);
    }
  };
}
