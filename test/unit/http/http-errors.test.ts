import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorBody } from '../../../src/adapters/http/schemas.js';
import { startApp, type App } from './harness.js';

describe('HTTP error replies', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await app.close();
  });

  describe('routing', () => {
    it.each(['/nope', '/api/sync/nope', '/api/sync/intervals/orders/extra', '/API/SYNC/intervals'])(
      'answers 404 in JSON for an unknown route %s',
      async (path) => {
        const res = await app.call('GET', path);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ success: false, error: 'No route matches this path.' });
      },
    );

    it('answers 405 with the Allow header for a wrong method', async () => {
      const res = await app.call('DELETE', '/api/sync/intervals');
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('HEAD, GET');
      expect(res.body).toEqual({
        success: false,
        error: 'The DELETE method is not allowed here; use HEAD, GET.',
      });
    });

    it('answers 405 for a method the router does not implement, on a known path', async () => {
      const res = await app.call('PROPFIND', '/api/sync/trigger/orders');
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    });

    it('answers 404 for a method the router does not implement, on an unknown path', async () => {
      expect((await app.call('PROPFIND', '/api/sync/nope')).status).toBe(404);
    });
  });

  describe('request bodies', () => {
    const post = (init: { raw: string; headers?: Record<string, string> }) =>
      app.call('POST', '/api/sync/intervals/orders', init);

    it('answers 413 for a body over the limit', async () => {
      const raw = JSON.stringify({ intervalMinutes: 10, pad: 'x'.repeat(20_000) });
      const res = await post({ raw, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ success: false, error: 'The request body is larger than 16kb.' });
    });

    it('answers 415 for a text/plain body', async () => {
      const res = await post({
        raw: 'intervalMinutes=10',
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({
        success: false,
        error: 'The request body must be JSON (Content-Type: application/json).',
      });
    });

    it('answers 400 for malformed JSON', async () => {
      const res = await post({
        raw: '{"intervalMinutes": 10',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'The request body is not valid JSON.' });
    });

    it('answers 400 for a JSON scalar, which is not an object', async () => {
      const res = await post({ raw: '10', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
    });

    it('answers 400 for a body whose gzip encoding is corrupt', async () => {
      const res = await post({
        raw: 'not gzip at all',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('The request body could not be read.');
    });

    it('refuses a JSON __proto__ key rather than polluting anything', async () => {
      const raw = '{"intervalMinutes": 10, "__proto__": {"polluted": true}}';
      const res = await post({ raw, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('treats an empty body as none, whatever its content type', async () => {
      for (const type of ['application/json', 'text/plain']) {
        const res = await app.call('POST', '/api/sync/trigger/prices', {
          raw: '',
          headers: { 'content-type': type },
        });
        expect(res.status).toBe(202);
        app.queue.completeAll();
      }
    });

    it('decides 404 before reading the body', async () => {
      const res = await app.call('POST', '/api/sync/nope', {
        raw: 'x'.repeat(50_000),
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(404);
    });
  });

  describe('unexpected errors', () => {
    it('answers 500 without the stack, logs it with the stack, prints nothing', async () => {
      const print = vi.spyOn(console, 'error');
      vi.spyOn(app.useCases.getIntervals, 'execute').mockRejectedValue(new TypeError('a bug'));
      const res = await app.call('GET', '/api/sync/intervals');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ success: false, error: 'Internal server error.' });
      expect(res.text).not.toContain('a bug');
      const logged = app.logs.map((l) => JSON.parse(l)).find((l) => l.level === 50);
      expect(logged.err.stack).toContain('TypeError: a bug');
      expect(print).not.toHaveBeenCalled();
    });
  });

  it('keeps every error body to the envelope', async () => {
    const replies = await Promise.all([
      app.call('GET', '/nope'),
      app.call('PUT', '/healthz'),
      app.call('GET', '/api/sync/intervals', { token: null }),
      app.call('POST', '/api/sync/trigger/x'),
    ]);
    for (const res of replies) expect(errorBody.strict().parse(res.body)).toBeTruthy();
  });

  it('logs one access line per request (successes at debug, refusals at info), without the Authorization header', async () => {
    await app.call('POST', '/api/sync/intervals/orders', { json: { intervalMinutes: 15 } });
    await app.call('POST', '/api/sync/intervals/orders', { json: { intervalMinutes: 4 } });
    const lines = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 20,
        method: 'POST',
        route: '/api/sync/intervals/:type',
        status: 200,
        ms: expect.any(Number),
      }),
      expect.objectContaining({
        level: 30,
        method: 'POST',
        route: '/api/sync/intervals/:type',
        status: 400,
        ms: expect.any(Number),
      }),
    ]);
    expect(app.logs.join('\n')).not.toContain(app.adminToken);
  });
});
