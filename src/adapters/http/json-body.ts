import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { HttpProblem } from './http-problem.js';

const noop = async (): Promise<void> => {};

/** A body is coming when it is chunked or has a positive length; `Content-Length: 0` is none. */
const hasBody = (ctx: Context): boolean =>
  ctx.get('Transfer-Encoding') !== '' || (ctx.request.length ?? 0) > 0;

function translate(error: unknown, limit: string): unknown {
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 413) return new HttpProblem(413, `The request body is larger than ${limit}.`);
  if (status === 415) {
    return new HttpProblem(
      415,
      'The request body uses an unsupported content encoding or charset.',
    );
  }
  if (error instanceof SyntaxError)
    return new HttpProblem(400, 'The request body is not valid JSON.');
  // Ours (5xx) stays a 500; the rest (aborted, bad gzip, wrong length) is the client's doing.
  if (typeof status === 'number' && status >= 500) return error;
  return new HttpProblem(400, 'The request body could not be read.', {}, [], { cause: error });
}

/**
 * JSON bodies only, for the routes that take one (so a 404 or 405 is decided before any
 * body is read). A body with another content type is a 415 rather than silently ignored;
 * no body at all parses to `{}`, so optional bodies work without one.
 */
export function jsonBody(limit: string): Middleware {
  // detectJSON: the content type is checked before parsing (admitting any +json type), and
  // extendTypes would not do: lodash.merge overwrites the default JSON types by index.
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: limit, detectJSON: () => true });
  return async (ctx, next) => {
    if (hasBody(ctx) && !ctx.request.is('application/json', '+json')) {
      throw new HttpProblem(415, 'The request body must be JSON (Content-Type: application/json).');
    }
    try {
      await parse(ctx, noop);
    } catch (error) {
      throw translate(error, limit);
    }
    await next();
  };
}
