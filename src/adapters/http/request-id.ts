import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** What a caller's id may be: short, and nothing a log line or a header could be bent by. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a valid one (a repeated header is not), else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The id `assignRequestId` gave this request; null outside it (a bug, but not worth a 500). */
export const requestIdOf = (ctx: Context): string | null =>
  (ctx.state as { requestId?: string }).requestId ?? null;

/**
 * Outermost: every request gets an id (the caller's, so a gateway's id follows the request,
 * or a generated UUID), for the access log, error logs and the audit trail, and answers with
 * it in X-Request-Id. Set again once the chain is done, since the error mapper clears the
 * headers of a failed handler.
 */
export function assignRequestId(): Middleware {
  return async (ctx, next) => {
    const id = requestIdFrom(ctx.req.headers['x-request-id']);
    (ctx.state as { requestId?: string }).requestId = id;
    ctx.set(REQUEST_ID_HEADER, id);
    try {
      await next();
    } finally {
      ctx.set(REQUEST_ID_HEADER, id);
    }
  };
}
