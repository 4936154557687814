import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import { JwtVerifier } from '../../../src/adapters/http/jwt-verifier.js';
import {
  PROVIDER_AUDIENCE,
  PROVIDER_ISSUER,
  startJwksServer,
  type JwksServer,
} from '../../support/jwks-server.js';
import { SECRET, startApp, type App } from './harness.js';

const ROLE_CLAIM = 'realm_access.roles';
const realm = (...roles: string[]) => ({ realm_access: { roles: ['offline_access', ...roles] } });

/** The app as production runs it with Keycloak: JWT_JWKS_URL and JWT_ROLE_CLAIM set. */
async function appWithProvider(url: string): Promise<App> {
  const jwt = new JwtVerifier({
    secret: SECRET,
    jwksUrl: url,
    roleClaim: ROLE_CLAIM,
    issuer: PROVIDER_ISSUER,
    audience: PROVIDER_AUDIENCE,
  });
  return startApp({ jwt });
}

/** The CLI's token for these settings: its role at the role claim, its iss and aud. */
const cliToken = (role: string) =>
  signToken(SECRET, {
    role,
    roleClaim: ROLE_CLAIM,
    issuer: PROVIDER_ISSUER,
    audience: PROVIDER_AUDIENCE,
  });

describe('admin API with an identity provider (Keycloak-style tokens)', () => {
  let idp: JwksServer;
  let app: App;
  beforeAll(async () => {
    idp = await startJwksServer();
    app = await appWithProvider(idp.url);
  });
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  it('lets a provider admin run commands, and tells it who it is', async () => {
    const token = await idp.sign('kc-admin', { claims: realm('viewer', 'admin') });
    expect((await app.call('POST', '/api/sync/auto-sync/start', { token })).status).toBe(200);
    const me = await app.call('GET', '/api/sync/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ success: true, subject: 'kc-admin', role: 'admin' });
  });

  it('lets a provider viewer (ES256) read and refuses its commands', async () => {
    const token = await idp.sign('kc-viewer', { alg: 'ES256', claims: realm('viewer') });
    expect((await app.call('GET', '/api/sync/monitoring/status', { token })).status).toBe(200);
    expect((await app.call('GET', '/api/sync/me', { token })).body.role).toBe('viewer');
    const res = await app.call('POST', '/api/sync/intervals/orders', {
      token,
      json: { intervalMinutes: 30 },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      success: false,
      error: 'This route requires the admin role: a viewer may only read.',
    });
    const admin = await cliToken('admin');
    expect(
      (await app.call('GET', '/api/sync/intervals', { token: admin })).body.intervals.orders,
    ).toBe(10);
  });

  it('answers 403 for a provider token without either role', async () => {
    const token = await idp.sign('kc-nobody', { claims: realm('uma_authorization') });
    const res = await app.call('GET', '/api/sync/intervals', { token });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe(
      'The token carries neither the admin nor the viewer role (claim "realm_access.roles").',
    );
  });

  it('answers 401 for a provider token for another client', async () => {
    const token = await idp.sign('kc-admin', { audience: 'billing' });
    const res = await app.call('GET', '/api/sync/intervals', { token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      success: false,
      error: 'The token is invalid: claim "aud" does not match.',
    });
  });

  it('still accepts the HS256 tokens of npm run token, their role at the same claim', async () => {
    const token = await cliToken('viewer');
    expect((await app.call('GET', '/api/sync/me', { token })).body).toEqual({
      success: true,
      subject: 'admin-cli',
      role: 'viewer',
    });
  });
});

describe('admin API with an unreachable identity provider', () => {
  let app: App;
  let token: string;
  beforeAll(async () => {
    const idp = await startJwksServer(['RS256']);
    token = await idp.sign('kc-admin');
    await idp.close(); // the provider is gone before the first fetch
    app = await appWithProvider(idp.url);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 401 with the reason in the error envelope', async () => {
    const res = await app.call('GET', '/api/sync/auto-sync/status', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.body).toEqual({
      success: false,
      error:
        "The token could not be checked: the identity provider's keys (JWT_JWKS_URL) could not be fetched.",
    });
  });

  it('stays up, and the HS256 path keeps working', async () => {
    expect((await app.call('GET', '/healthz', { token: null })).status).toBe(200);
    const res = await app.call('POST', '/api/sync/auto-sync/start', {
      token: await cliToken('admin'),
    });
    expect(res.status).toBe(200);
    expect(res.body.running).toBe(true);
  });
});
