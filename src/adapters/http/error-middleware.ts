import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isSchedulerError, type ErrorDetail, type ErrorKind } from '../../domain/errors.js';
import { HttpProblem } from './http-problem.js';
import { requestIdOf } from './request-id.js';

const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalidInput: 400,
  notFound: 404,
  conflict: 409,
  unavailable: 503,
};

interface Reply {
  readonly status: number;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
  readonly headers: Readonly<Record<string, string>>;
}

const sentence = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`);

function fromZod(error: z.ZodError): Reply {
  // A root-level issue can only come from the body (params and query are always objects).
  const details = error.issues.map((i) => ({
    field: i.path.map(String).join('.') || 'body',
    reason: i.message,
  }));
  const first = details[0] ?? { field: 'request', reason: 'is invalid' };
  return { status: 400, message: `${first.field} ${first.reason}`, details, headers: {} };
}

/** Errors from libraries (http-errors style) that are safe to show, e.g. a 4xx from Koa. */
function exposedStatus(error: unknown): number | undefined {
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true
    ? status
    : undefined;
}

function toReply(error: unknown, logger: Logger): Reply {
  if (error instanceof HttpProblem) {
    const { status, message, details, headers } = error;
    return { status, message, details, headers };
  }
  if (isSchedulerError(error)) {
    if (error.kind === 'unavailable') logger.warn({ err: error.cause ?? error }, error.message);
    return {
      status: STATUS_BY_KIND[error.kind],
      message: error.message,
      details: error.details,
      headers: {},
    };
  }
  if (error instanceof z.ZodError) return fromZod(error);
  const status = exposedStatus(error);
  if (status !== undefined)
    return { status, message: (error as Error).message, details: [], headers: {} };
  logger.error({ err: error }, 'Unhandled error while serving a request');
  return { status: 500, message: 'Internal server error.', details: [], headers: {} };
}

function send(ctx: Context, reply: Reply): void {
  // Like Koa's own handler: drop whatever the failed handler had set, keep only our headers.
  for (const name of ctx.res.getHeaderNames()) ctx.remove(name);
  ctx.set(reply.headers);
  ctx.status = reply.status;
  ctx.body = {
    success: false,
    error: sentence(reply.message),
    ...(reply.details.length > 0 ? { details: reply.details } : {}),
  };
}

/**
 * The one place where errors become HTTP replies: domain kinds, zod failures and HTTP
 * problems map to their status; anything else is a bug, logged with its stack, and the
 * client sees a generic 500 without it. Koa's plain-text error reply never runs.
 */
export function mapErrors(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // Error lines carry the request's id, as its access line does.
      const requestId = requestIdOf(ctx);
      const reply = toReply(error, requestId ? logger.child({ requestId }) : logger);
      if (ctx.headerSent) return; // Too late to change the reply; the error is logged above.
      send(ctx, reply);
    }
  };
}
