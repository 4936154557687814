import { webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';

export const ADMIN_ROLE = 'admin';
/** Pinned: a token may not choose its own algorithm (no "none", no RS/HS confusion). */
export const ALGORITHM = 'HS256';

/** JWT_SECRET as UTF-8 bytes, or the random bytes stored in PostgreSQL. */
export type Secret = string | Uint8Array;

export type SecretKey = webcrypto.CryptoKey;

export interface TokenOptions {
  readonly role?: string;
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
  const { role = ADMIN_ROLE, subject = 'admin-cli', ttl = '12h', issuer, audience } = options;
  const jwt = new SignJWT({ role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(ttl);
  if (issuer !== undefined) jwt.setIssuer(issuer);
  if (audience !== undefined) jwt.setAudience(audience);
  return jwt.sign(await secretKey(secret));
}
