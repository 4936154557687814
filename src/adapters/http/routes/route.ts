import type { RouterContext } from '@koa/router';
import type { z } from 'zod';

/**
 * A route and its documentation side by side: the app registers `handle`, and
 * /openapi.json is generated from the rest, so every route served is a route documented.
 */
export interface Route {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** Koa/path-to-regexp syntax, e.g. `/api/sync/intervals/:type`. */
  readonly path: string;
  readonly summary: string;
  readonly auth: boolean;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** Present only on routes that read a JSON body; the app parses it just for them. */
  readonly body?: { readonly schema: z.ZodType; readonly required: boolean };
  readonly success: {
    readonly status: number;
    readonly description: string;
    readonly schema?: z.ZodType;
    /** Defaults to application/json. */
    readonly contentType?: string;
  };
  /** Error statuses this route can answer besides the ones every route can (404, 405, 500). */
  readonly errors: readonly number[];
  readonly handle: (ctx: RouterContext) => Promise<void>;
}
