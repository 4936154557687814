import { webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import { DEFAULT_ROLE_CLAIM, roleClaims } from './roles.js';

export const ADMIN_ROLE = 'admin';
/** Pinned for the secret: a token may not choose its own algorithm (no "none", no HS512). */
export const ALGORITHM = 'HS256';
/** The identity provider's (JWT_JWKS_URL): public-key signatures only, never HS*. */
export const PROVIDER_ALGORITHMS = ['RS256', 'ES256'] as const;

/** JWT_SECRET as UTF-8 bytes, or the random bytes stored in PostgreSQL. */
export type Secret = string | Uint8Array;

export type SecretKey = webcrypto.CryptoKey;

export interface TokenOptions {
  readonly role?: string;
  /** Where the role goes (JWT_ROLE_CLAIM), e.g. `realm_access.roles`; default `role`. */
  readonly roleClaim?: string;
  readonly subject?: string;
  /** jose time span, e.g. '12h', '30m'; '-1h' yields an already expired token. */
  readonly ttl?: string;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}

/**
 * An HMAC CryptoKey, imported once: jose is built on WebCrypto, and handed raw bytes it
 * imports the key again on every call, which cost about a fifth of the CPU of an
 * authenticated GET (bench/http.ts).
 */
export const secretKey = (secret: Secret): Promise<SecretKey> =>
  webcrypto.subtle.importKey(
    'raw',
    typeof secret === 'string' ? new TextEncoder().encode(secret) : secret,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );

/** Signs an HS256 JWT; shared by `npm run token` and the tests so both match JwtVerifier. */
export async function signToken(secret: Secret, options: TokenOptions = {}): Promise<string> {
  const { role = ADMIN_ROLE, roleClaim = DEFAULT_ROLE_CLAIM, subject = 'admin-cli' } = options;
  const { ttl = '12h', issuer, audience } = options;
  const jwt = new SignJWT(roleClaims(roleClaim, role))
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(ttl);
  if (issuer !== undefined) jwt.setIssuer(issuer);
  if (audience !== undefined) jwt.setAudience(audience);
  return jwt.sign(await secretKey(secret));
}
