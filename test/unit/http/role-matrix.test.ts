import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import { SECRET, startApp } from './harness.js';

interface Operation {
  readonly security?: readonly object[];
  readonly parameters?: readonly { name: string; in: string; schema?: { enum?: string[] } }[];
}

// HEAD is tried on every GET route below; OpenAPI documents it under `get`.
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;
const AUTH_STATUSES = [401, 403];

/*
 * Every route the app serves, read from the OpenAPI document it serves (generated from the very
 * routes it registers), so a route added later is in this matrix without anyone listing it.
 * Top-level await: the routes must be known while the tests are collected.
 */
const app = await startApp();
const document = (await app.call('GET', '/openapi.json', { token: null })).body as {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
};

/** A concrete URL for an OpenAPI path: an enum's first value, else an agent id. */
function urlOf(path: string, operation: Operation): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
    return encodeURIComponent(parameter?.schema?.enum?.[0] ?? 'a-1');
  });
}

const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
  METHODS.flatMap((method) => {
    const operation = operations[method];
    if (!operation) return [];
    return [
      {
        route: `${method.toUpperCase()} ${path}`,
        method,
        path,
        url: urlOf(path, operation),
        operation,
      },
    ];
  }),
);
const guarded = routes.filter((r) => r.path.startsWith('/api/sync'));

const admin = await signToken(SECRET, { role: 'admin' });
const viewer = await signToken(SECRET, { role: 'viewer' });

describe('the role matrix, on every route of the OpenAPI document', () => {
  afterAll(async () => {
    await app.close();
  });

  it('finds the routes (the matrix is not empty by accident)', () => {
    expect(guarded.length).toBeGreaterThanOrEqual(14);
    expect(guarded.map((r) => r.route)).toEqual(
      expect.arrayContaining(['GET /api/sync/me', 'POST /api/sync/auto-sync/stop']),
    );
  });

  it('documents every /api/sync route as needing a bearer token, and no other', () => {
    for (const { path, operation } of routes) {
      expect(operation.security?.length ?? 0, path).toBe(path.startsWith('/api/sync') ? 1 : 0);
    }
  });

  describe.each(guarded)('$route', ({ method, url }) => {
    const verb = method.toUpperCase();
    const send = (token: string | null) =>
      app.call(verb, url, { token, ...(verb === 'GET' ? {} : { json: {} }) });

    it('answers 401 without a token', async () => {
      expect((await send(null)).status).toBe(401);
    });

    it('lets an admin through', async () => {
      expect(AUTH_STATUSES).not.toContain((await send(admin)).status);
    });

    if (method === 'get') {
      it('lets a viewer read (GET and HEAD)', async () => {
        expect(AUTH_STATUSES).not.toContain((await send(viewer)).status);
        // Straight through fetch: a HEAD reply has no body for the harness to parse.
        const head = await fetch(app.base + url, {
          method: 'HEAD',
          headers: { authorization: `Bearer ${viewer}` },
        });
        expect(AUTH_STATUSES).not.toContain(head.status);
      });
    } else {
      it('answers 403 to a viewer', async () => {
        const res = await send(viewer);
        expect(res.status).toBe(403);
        expect(res.body).toEqual({
          success: false,
          error: 'This route requires the admin role: a viewer may only read.',
        });
      });
    }
  });
});
