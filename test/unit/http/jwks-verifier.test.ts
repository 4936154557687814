import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import type { JwksOptions } from '../../../src/adapters/http/jwks-keys.js';
import { JwtVerifier } from '../../../src/adapters/http/jwt-verifier.js';
import {
  aSigningKey,
  PROVIDER_AUDIENCE,
  PROVIDER_ISSUER,
  signWith,
  startJwksServer,
  type JwksServer,
} from '../../support/jwks-server.js';

const SECRET = 'jwks-verifier-test-secret-0123456789abcdef';
const INVALID = 'The token is invalid.';
const UNREACHABLE =
  "The token could not be checked: the identity provider's keys (JWT_JWKS_URL) could not be fetched.";

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: Error & { status?: number }) => ({ status: e.status, message: e.message }),
  );

/** A verifier with the secret and the provider, checking iss and aud as production must. */
function verifierFor(url: string, jwks: JwksOptions = {}, extra = {}) {
  return new JwtVerifier({
    secret: SECRET,
    jwksUrl: url,
    jwks,
    issuer: PROVIDER_ISSUER,
    audience: PROVIDER_AUDIENCE,
    ...extra,
  });
}

const hsToken = () => signToken(SECRET, { issuer: PROVIDER_ISSUER, audience: PROVIDER_AUDIENCE });

describe('JwtVerifier with an identity provider (JWT_JWKS_URL)', () => {
  let idp: JwksServer;
  beforeAll(async () => {
    idp = await startJwksServer();
  });
  afterAll(async () => {
    await idp.close();
  });
  afterEach(() => vi.restoreAllMocks());

  it.each(['RS256', 'ES256'] as const)(
    'accepts a valid %s token from the provider',
    async (alg) => {
      const claims = await verifierFor(idp.url).verify(await idp.sign('kc-user-1', { alg }));
      expect(claims).toMatchObject({
        sub: 'kc-user-1',
        iss: PROVIDER_ISSUER,
        realm_access: { roles: ['offline_access', 'admin'] },
      });
    },
  );

  it('fetches the key set once, and serves a verified token from the cache', async () => {
    const verifier = verifierFor(idp.url);
    const token = await idp.sign('kc-user-1');
    const before = idp.fetches();
    const spy = vi.spyOn(globalThis.crypto.subtle, 'verify');
    await verifier.verify(token);
    await verifier.verify(token);
    await verifier.verify(await idp.sign('kc-user-2', { alg: 'ES256' }));
    expect(spy).toHaveBeenCalledTimes(2);
    expect(idp.fetches() - before).toBe(1);
  });

  it.each([
    ['another issuer', { issuer: 'https://other-idp.test' }, 'claim "iss" does not match'],
    ['another audience', { audience: 'billing' }, 'claim "aud" does not match'],
  ])('refuses a token with %s', async (_, options, reason) => {
    const token = await idp.sign('kc-user-1', options);
    expect(await refusal(verifierFor(idp.url).verify(token))).toEqual({
      status: 401,
      message: `The token is invalid: ${reason}.`,
    });
  });

  it('holds the lifetime rule (JWT_MAX_TTL_S) for provider tokens too', async () => {
    const token = await idp.sign('kc-user-1', { ttlS: 7200 });
    expect(await refusal(verifierFor(idp.url, {}, { maxTtlS: 3600 }).verify(token))).toEqual({
      status: 401,
      message: 'The token is invalid: claim "exp" is more than 3600 s after "iat" (JWT_MAX_TTL_S).',
    });
  });

  it('refuses a token signed by a key the provider does not serve, under a known kid', async () => {
    const served = idp.keys()[0]!;
    const impostor = await aSigningKey('RS256', served.kid);
    const token = await signWith(impostor, 'mallory');
    expect(await refusal(verifierFor(idp.url).verify(token))).toEqual({
      status: 401,
      message: INVALID,
    });
  });

  describe('keeps the two paths apart', () => {
    it('refuses an HS256 token signed with the provider public key (RS/HS confusion)', async () => {
      const rsa = idp.keys().find((key) => key.alg === 'RS256')!;
      const pem = await exportSPKI((await importJWK(rsa.jwk, 'RS256')) as CryptoKey);
      const token = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
        .setIssuer(PROVIDER_ISSUER)
        .setAudience(PROVIDER_AUDIENCE)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(pem));
      expect(await refusal(verifierFor(idp.url).verify(token))).toEqual({
        status: 401,
        message: INVALID,
      });
    });

    it('never checks an HS256 token against a symmetric key the provider serves', async () => {
      const shared = new TextEncoder().encode('a-key-the-provider-should-never-publish-000');
      const jwk = { ...(await exportJWK(shared)), kid: 'oct-1', alg: 'HS256' };
      idp.serveAlso([jwk]);
      try {
        const token = await new SignJWT({ role: 'admin' })
          .setProtectedHeader({ alg: 'HS256', kid: 'oct-1' })
          .setIssuer(PROVIDER_ISSUER)
          .setAudience(PROVIDER_AUDIENCE)
          .setExpirationTime('5m')
          .sign(shared);
        expect(await refusal(verifierFor(idp.url).verify(token))).toEqual({
          status: 401,
          message: INVALID,
        });
      } finally {
        idp.serveAlso([]);
      }
    });

    it('refuses RS256 and ES256 without a provider, and other algorithms with one', async () => {
      const withoutProvider = new JwtVerifier({ secret: SECRET });
      expect(await refusal(withoutProvider.verify(await idp.sign('kc-user-1')))).toEqual({
        status: 401,
        message: 'The token is invalid: header "alg" must be "HS256".',
      });
      const es384 = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES384' })
        .setExpirationTime('5m')
        .sign((await generateKeyPair('ES384')).privateKey);
      expect(await refusal(verifierFor(idp.url).verify(es384))).toEqual({
        status: 401,
        message: 'The token is invalid: header "alg" must be "HS256", "RS256" or "ES256".',
      });
    });

    it('keeps accepting HS256 tokens signed with the secret', async () => {
      expect(await verifierFor(idp.url).verify(await hsToken())).toMatchObject({ role: 'admin' });
    });
  });

  describe('when the provider rotates its keys', () => {
    it('fetches again for an unknown kid and accepts the new key', async () => {
      const rotating = await startJwksServer(['RS256']);
      try {
        const verifier = verifierFor(rotating.url, { cooldownDuration: 0 });
        await verifier.verify(await rotating.sign('kc-user-1'));
        await rotating.rotate();
        const claims = await verifier.verify(await rotating.sign('kc-user-2'));
        expect(claims.sub).toBe('kc-user-2');
        expect(rotating.fetches()).toBe(2);
      } finally {
        await rotating.close();
      }
    });

    it("fetches at most once per cooldown (jose's 30 s), however many unknown kids arrive", async () => {
      const rotating = await startJwksServer(['RS256']);
      try {
        const verifier = verifierFor(rotating.url);
        await verifier.verify(await rotating.sign('kc-user-1'));
        const stranger = await aSigningKey('RS256', 'made-up-kid');
        for (let i = 0; i < 5; i++) {
          expect(await refusal(verifier.verify(await signWith(stranger, `m-${i}`)))).toEqual({
            status: 401,
            message:
              'The token is invalid: no key of the identity provider matches its header "kid".',
          });
        }
        expect(rotating.fetches()).toBe(1);
      } finally {
        await rotating.close();
      }
    });
  });
});

describe('JwtVerifier with an unreachable identity provider', () => {
  it('refuses provider tokens with a 401 naming the cause, logs once, and HS256 keeps working', async () => {
    const idp = await startJwksServer(['RS256']);
    const token = await idp.sign('kc-user-1');
    await idp.close(); // nothing listens on that port any more
    const logs: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
    const verifier = verifierFor(idp.url, {}, { logger });
    for (let i = 0; i < 3; i++) {
      expect(await refusal(verifier.verify(token))).toEqual({ status: 401, message: UNREACHABLE });
    }
    expect(await verifier.verify(await hsToken())).toMatchObject({ role: 'admin' });
    const warnings = logs.map((line) => JSON.parse(line)).filter((entry) => entry.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ jwksUrl: idp.url });
  });

  it('says when the key set did not arrive in time', async () => {
    const silent = createServer(() => {}); // accepts, never answers
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    try {
      const idp = await startJwksServer(['ES256']);
      const token = await idp.sign('kc-user-1', { alg: 'ES256' });
      await idp.close();
      const verifier = verifierFor(`http://127.0.0.1:${port}/certs`, { timeoutDuration: 200 });
      expect(await refusal(verifier.verify(token))).toEqual({
        status: 401,
        message:
          "The token could not be checked: the identity provider's keys (JWT_JWKS_URL) did not arrive within 200 ms.",
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('is ready without a secret, and gives HS256 tokens the 503 until the secret is known', async () => {
    const verifier = new JwtVerifier({ jwksUrl: 'http://127.0.0.1:1/certs' });
    expect(verifier.ready).toBe(true);
    expect(await refusal(verifier.verify(await hsToken()))).toMatchObject({ status: 503 });
  });
});
