import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import { JwtVerifier } from '../../../src/adapters/http/jwt-verifier.js';
import { SECRET, startApp, type App } from './harness.js';

const INVALID = 'The token is invalid.';
const WRONG_ALG = 'The token is invalid: header "alg" must be "HS256".';
const key = new TextEncoder().encode(SECRET);
const nowS = () => Math.floor(Date.now() / 1000);

/** An HS256 token with exactly these claims (no defaults), signed with SECRET. */
const withClaims = (claims: JWTPayload): Promise<string> =>
  new SignJWT({ role: 'admin', ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(key);

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
    expect(res.body.error).toBe('The token has expired: claim "exp" is in the past.');
  });

  describe('refuses, naming the claim', () => {
    const LONG_AFTER_IAT =
      'The token is invalid: claim "exp" is more than 86400 s after "iat" (JWT_MAX_TTL_S).';
    const LONG_FROM_NOW =
      'The token is invalid: claim "exp" is more than 86400 s from now (JWT_MAX_TTL_S).';
    it.each([
      [
        'no exp',
        () => withClaims({ iat: nowS() }),
        'The token is invalid: claim "exp" is missing.',
      ],
      [
        'an exp that is not a number',
        () => withClaims({ exp: 'tomorrow' as unknown as number }),
        'The token is invalid: claim "exp" is not a number.',
      ],
      ['a 100-year lifetime', () => signToken(SECRET, { ttl: '100y' }), LONG_AFTER_IAT],
      ['exp - iat one second too long', () => signToken(SECRET, { ttl: '86401s' }), LONG_AFTER_IAT],
      [
        'exp - iat too long, though exp is near',
        () => withClaims({ iat: nowS() - 30 * 3600, exp: nowS() + 3600 }),
        LONG_AFTER_IAT,
      ],
      [
        'no iat and exp too far from now',
        () => withClaims({ exp: nowS() + 86_500 }),
        LONG_FROM_NOW,
      ],
      [
        'an iat in the future (which would stretch the lifetime)',
        () => withClaims({ iat: nowS() + 3600, exp: nowS() + 7200 }),
        'The token is invalid: claim "iat" is in the future.',
      ],
      [
        'an nbf in the future',
        () => withClaims({ nbf: nowS() + 600, exp: nowS() + 3600 }),
        'The token is not valid yet: claim "nbf" is in the future.',
      ],
    ])('answers 401 for %s', async (_, make, error) => {
      const res = await status({ authorization: `Bearer ${await make()}` });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(res.body).toEqual({ success: false, error });
    });

    it.each([
      ['a 24-hour token', () => signToken(SECRET, { ttl: '24h' })],
      [
        'a token without iat that expires within 24 hours',
        () => withClaims({ exp: nowS() + 3600 }),
      ],
    ])('lets %s through', async (_, make) => {
      expect((await status({ authorization: `Bearer ${await make()}` })).status).toBe(200);
    });
  });

  it('answers 401 for a token with another algorithm, even with the right key', async () => {
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime('1h')
      .sign(key); // the same secret bytes, another algorithm
    const res = await status({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ success: false, error: WRONG_ALG });
  });

  it('answers 401 for an unsigned ("none") token', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = nowS() + 3600;
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'admin', exp })}.`;
    const res = await status({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ success: false, error: WRONG_ALG });
  });

  it('lets a viewer read, and answers 403 to its commands', async () => {
    const token = await signToken(SECRET, { role: 'viewer' });
    expect((await status({ authorization: `Bearer ${token}` })).status).toBe(200);
    const res = await app.call('POST', '/api/sync/auto-sync/start', { token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      success: false,
      error: 'This route requires the admin role: a viewer may only read.',
    });
    expect(app.scheduler.isRunning()).toBe(false);
  });

  it("refuses a viewer's command before its body is read: a broken body is a 403, not a 400", async () => {
    const res = await app.call('POST', '/api/sync/intervals/widgets', {
      token: await signToken(SECRET, { role: 'viewer' }),
      raw: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(403);
  });

  it.each([
    ['another role', { role: 'operator' }],
    ['a role of another type', { role: 7 as unknown as string }],
  ])('answers 403 for a valid token with %s', async (_, claims) => {
    const res = await status({
      authorization: `Bearer ${await withClaims({ ...claims, exp: nowS() + 600 })}`,
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      success: false,
      error: 'The token carries neither the admin nor the viewer role (claim "role").',
    });
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

describe('admin API authentication with JWT_ISSUER, JWT_AUDIENCE and JWT_MAX_TTL_S set', () => {
  const ISSUER = 'https://auth.example.test';
  const AUDIENCE = 'sync-scheduler';
  let app: App;
  beforeAll(async () => {
    const jwt = new JwtVerifier({
      secret: SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      maxTtlS: 3600,
    });
    app = await startApp({ jwt });
  });
  afterAll(async () => {
    await app.close();
  });

  const statusWith = (token: string) => app.call('GET', '/api/sync/auto-sync/status', { token });
  const good = { issuer: ISSUER, audience: AUDIENCE, ttl: '1h' };

  it('lets a token with the right iss and aud through', async () => {
    expect((await statusWith(await signToken(SECRET, good))).status).toBe(200);
  });

  it.each([
    ['no iss', { ...good, issuer: undefined }, 'The token is invalid: claim "iss" is missing.'],
    [
      'another iss',
      { ...good, issuer: 'https://evil.example.test' },
      'The token is invalid: claim "iss" does not match.',
    ],
    ['no aud', { ...good, audience: undefined }, 'The token is invalid: claim "aud" is missing.'],
    [
      'another aud',
      { ...good, audience: 'billing' },
      'The token is invalid: claim "aud" does not match.',
    ],
    [
      'a lifetime above JWT_MAX_TTL_S',
      { ...good, ttl: '2h' },
      'The token is invalid: claim "exp" is more than 3600 s after "iat" (JWT_MAX_TTL_S).',
    ],
  ])('answers 401 for %s', async (_, options, error) => {
    const res = await statusWith(await signToken(SECRET, options));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.body).toEqual({ success: false, error });
  });
});
