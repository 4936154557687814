import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import { SECRET, startApp, type App } from './harness.js';

const INVALID = 'The token is invalid.';

describe('admin API authentication', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.close();
  });

  const status = (headers: Record<string, string>) =>
    app.call('GET', '/api/sync/auto-sync/status', { token: null, headers });

  it('lets an admin token through', async () => {
    const res = await status({ authorization: `Bearer ${app.adminToken}` });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
  });

  it.each([
    ['no header', {}, 'Authentication required: send an Authorization: Bearer <token> header.'],
    [
      'another scheme',
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      'The Authorization header must be "Bearer <token>".',
    ],
    [
      'an empty bearer',
      { authorization: 'Bearer ' },
      'The Authorization header must be "Bearer <token>".',
    ],
    ['a malformed token', { authorization: 'Bearer not.a.jwt' }, INVALID],
  ])('answers 401 with a challenge for %s', async (_, headers, error) => {
    const res = await status(headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body).toEqual({ success: false, error });
  });

  it('answers 401 for a token signed with another key', async () => {
    const token = await signToken('some-other-secret-0123456789abcdef');
    const res = await status({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe(INVALID);
  });

  it('answers 401 for an expired token', async () => {
    const token = await signToken(SECRET, { ttl: '-1m' });
    const res = await status({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('The token has expired.');
  });

  it('answers 401 for a token with another algorithm, even with the right key', async () => {
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET)); // the same secret bytes, another algorithm
    expect((await status({ authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('answers 401 for an unsigned ("none") token', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'admin' })}.`;
    expect((await status({ authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('answers 403 for a valid token without the admin role', async () => {
    const token = await signToken(SECRET, { role: 'viewer' });
    const res = await status({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ success: false, error: 'This route requires the admin role.' });
  });

  it('authenticates before validating: a bad request without a token is a 401', async () => {
    const res = await app.call('POST', '/api/sync/intervals/widgets', {
      token: null,
      raw: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
  });

  it('protects unknown routes and every spelling of the prefix', async () => {
    for (const path of ['/api/sync', '/api/sync/nope', '/API/Sync/intervals', '/api/sync/']) {
      expect((await app.call('GET', path, { token: null })).status).toBe(401);
    }
  });

  it('needs no token outside /api/sync', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect((await app.call('GET', path, { token: null })).status).toBe(200);
    }
    expect((await app.call('GET', '/api/synchronise', { token: null })).status).toBe(404);
  });
});
