import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JwtVerifier } from '../../../src/adapters/http/jwt-verifier.js';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const KEY_A = 'verifier-test-secret-A-0123456789abcdef';
const KEY_B = 'verifier-test-secret-B-0123456789abcdef';

/** A verifier on a manual wall clock (the claims and the cache both read it). */
function build(options: { cacheMax?: number; cacheTtlMs?: number } = {}) {
  let now = T0;
  const verifier = new JwtVerifier({ secret: KEY_A, now: () => now, ...options });
  return { verifier, advance: (ms: number) => (now += ms) };
}

/** An admin token issued at T0 that lives `ttlS` seconds. */
function tokenFor(secret: string, ttlS: number, subject = 'admin-1'): Promise<string> {
  const iat = T0 / 1000;
  return new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlS)
    .sign(new TextEncoder().encode(secret));
}

/** Counts HMAC verifications: a cache hit costs none. */
const hmacs = () => vi.spyOn(globalThis.crypto.subtle, 'verify');
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: Error) => e.message,
  );

describe('JwtVerifier', () => {
  afterEach(() => vi.restoreAllMocks());

  it('verifies a token once, then serves it from the cache', async () => {
    const { verifier } = build();
    const token = await tokenFor(KEY_A, 3600);
    const spy = hmacs();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('never caches a refused token: a forged one is checked in full every time', async () => {
    const { verifier } = build();
    const forged = await tokenFor(KEY_B, 3600);
    const spy = hmacs();
    for (let i = 0; i < 3; i++) {
      expect(await refusal(verifier.verify(forged))).toBe('The token is invalid.');
    }
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('keeps a cached token no longer than its exp', async () => {
    const { verifier, advance } = build();
    const token = await tokenFor(KEY_A, 10);
    await verifier.verify(token);
    advance(9_999);
    await verifier.verify(token);
    advance(1);
    expect(await refusal(verifier.verify(token))).toBe(
      'The token has expired: claim "exp" is in the past.',
    );
  });

  it('verifies a long-lived token again once 60 s have passed', async () => {
    const { verifier, advance } = build();
    const token = await tokenFor(KEY_A, 3600);
    await verifier.verify(token);
    const spy = hmacs();
    advance(59_999);
    await verifier.verify(token);
    expect(spy).toHaveBeenCalledTimes(0);
    advance(2); // lru-cache keeps an entry while its age is at most its TTL
    await verifier.verify(token);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('is bounded: the least recently used token goes first', async () => {
    const { verifier } = build({ cacheMax: 2 });
    const [t1, t2, t3] = await Promise.all(
      ['a-1', 'a-2', 'a-3'].map((subject) => tokenFor(KEY_A, 3600, subject)),
    );
    for (const token of [t1, t2, t3]) await verifier.verify(token!);
    const spy = hmacs();
    await verifier.verify(t3!);
    await verifier.verify(t2!);
    expect(spy).toHaveBeenCalledTimes(0);
    await verifier.verify(t1!);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('forgets every cached token when the key changes', async () => {
    const { verifier } = build();
    const token = await tokenFor(KEY_A, 3600);
    await verifier.verify(token);
    verifier.setSecret(KEY_B);
    expect(await refusal(verifier.verify(token))).toBe('The token is invalid.');
    await verifier.verify(await tokenFor(KEY_B, 3600));
  });

  it('keeps the cache when the same secret is given again', async () => {
    const { verifier } = build();
    const token = await tokenFor(KEY_A, 3600);
    await verifier.verify(token);
    verifier.setSecret(new TextEncoder().encode(KEY_A));
    const spy = hmacs();
    await verifier.verify(token);
    expect(spy).toHaveBeenCalledTimes(0);
  });

  it('does not cache a verification that was in flight while the key changed', async () => {
    const { verifier } = build();
    const token = await tokenFor(KEY_A, 3600);
    const inFlight = verifier.verify(token);
    verifier.setSecret(KEY_B);
    await inFlight.catch(() => {});
    expect(await refusal(verifier.verify(token))).toBe('The token is invalid.');
  });

  it('is not ready, and refuses with a 503, until it has a secret', async () => {
    const verifier = new JwtVerifier();
    expect(verifier.ready).toBe(false);
    await expect(verifier.verify(await tokenFor(KEY_A, 3600))).rejects.toMatchObject({
      status: 503,
    });
    verifier.setSecret(KEY_A);
    expect(verifier.ready).toBe(true);
  });
});
