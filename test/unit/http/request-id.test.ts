import { afterEach, describe, expect, it } from 'vitest';
import { requestIdFrom } from '../../../src/adapters/http/request-id.js';
import { startApp, type App } from './harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  describe('requestIdFrom', () => {
    it.each(['abc', 'A-Z.a_z:0-9', 'x'.repeat(128), '6f1c2e7a-trace:span.1'])(
      'keeps a valid caller id: %s',
      (id) => {
        expect(requestIdFrom(id)).toBe(id);
      },
    );

    it.each([
      ['none', undefined],
      ['empty', ''],
      ['too long', 'x'.repeat(129)],
      ['a space', 'a b'],
      ['a slash', 'a/b'],
      ['a newline', 'a\nb'],
      ['a quote', 'a"b'],
      ['non-ASCII', 'café'],
      ['repeated (joined by a comma)', 'a, b'],
      ['an array', ['a', 'b']],
    ])('makes a UUID for %s', (_name, header) => {
      expect(requestIdFrom(header)).toMatch(UUID);
    });
  });

  describe('over HTTP', () => {
    let app: App;
    afterEach(async () => {
      await app.close();
    });

    const lines = () => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const accessLine = (requestId: string) =>
      lines().find((line) => line.msg === 'request' && line.requestId === requestId);

    it('echoes a valid X-Request-Id and logs it on the access line', async () => {
      app = await startApp();
      const res = await app.call('GET', '/api/sync/intervals', {
        headers: { 'x-request-id': 'gw-123:abc' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('gw-123:abc');
      expect(accessLine('gw-123:abc')).toMatchObject({
        method: 'GET',
        route: '/api/sync/intervals',
        status: 200,
      });
    });

    it('generates one when none or an invalid one is sent, a new one each time', async () => {
      app = await startApp();
      const first = await app.call('GET', '/healthz', { token: null });
      const second = await app.call('GET', '/healthz', {
        token: null,
        headers: { 'x-request-id': 'x'.repeat(129) },
      });
      const a = first.headers.get('x-request-id') ?? '';
      const b = second.headers.get('x-request-id') ?? '';
      expect(a).toMatch(UUID);
      expect(b).toMatch(UUID);
      expect(a).not.toBe(b);
      expect(accessLine(a)).toBeDefined();
    });

    it.each([
      ['a 401', 'GET', '/api/sync/intervals', { token: null }, 401],
      ['a 404', 'GET', '/api/sync/nothing-here', {}, 404],
      ['a 405', 'DELETE', '/api/sync/intervals', {}, 405],
      ['a 400', 'POST', '/api/sync/intervals/orders', { json: { intervalMinutes: 1 } }, 400],
    ] as const)(
      'answers %s with it too (the error mapper keeps it)',
      async (_n, method, path, opts, status) => {
        app = await startApp();
        const res = await app.call(method, path, { ...opts, headers: { 'x-request-id': 'err-1' } });
        expect(res.status).toBe(status);
        expect(res.headers.get('x-request-id')).toBe('err-1');
        expect(accessLine('err-1')).toMatchObject({ status, level: 30 });
      },
    );

    it('puts it on the error lines of a failed request', async () => {
      app = await startApp();
      app.settings.failWith(new TypeError('a bug in the store'));
      const res = await app.call('POST', '/api/sync/pause/orders', {
        headers: { 'x-request-id': 'bug-7' },
      });
      expect(res.status).toBe(500);
      expect(res.headers.get('x-request-id')).toBe('bug-7');
      const error = lines().find((line) => line.msg === 'Unhandled error while serving a request');
      expect(error).toMatchObject({ level: 50, requestId: 'bug-7' });
      app.settings.failUnreachable();
      await app.call('POST', '/api/sync/pause/orders', { headers: { 'x-request-id': 'down-8' } });
      const warning = lines().find((line) => line.requestId === 'down-8' && line.level === 40);
      expect(warning?.msg).toMatch(/unreachable/);
    });
  });
});
