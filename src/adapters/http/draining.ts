import type { Middleware } from 'koa';
import { HttpProblem } from './http-problem.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * While the process shuts down, a command could re-arm timers or change state nobody will
 * follow: writes get 503 (nothing changed, retry on another replica); reads are still served.
 */
export const refuseWritesWhenDraining =
  (acceptingWrites: () => boolean): Middleware =>
  async (ctx, next) => {
    if (!READS.has(ctx.method) && !acceptingWrites()) {
      throw new HttpProblem(503, 'The service is shutting down: nothing was changed; retry.', {
        'Retry-After': '1',
      });
    }
    await next();
  };
