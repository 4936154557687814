import type { Middleware } from 'koa';
import { HttpProblem } from './http-problem.js';

/**
 * The router answers an unknown path or a wrong method with a bare status (and an Allow
 * header); this turns those into JSON errors, keeping Allow. A method the router does not
 * know at all (501) is a 405 where the path exists, else a 404.
 */
export const routingErrors: Middleware = async (ctx, next) => {
  await next();
  const allow = ctx.response.get('Allow');
  if ((ctx.status === 405 || ctx.status === 501) && allow !== '') {
    throw new HttpProblem(405, `The ${ctx.method} method is not allowed here; use ${allow}.`, {
      Allow: allow,
    });
  }
  if (ctx.status === 501 || (ctx.status === 404 && ctx.body == null)) {
    throw new HttpProblem(404, 'No route matches this path.');
  }
};
