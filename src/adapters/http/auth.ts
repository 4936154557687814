import { webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';

export const ADMIN_ROLE = 'admin';
/** Pinned: a token may not choose its own algorithm (no "none", no RS/HS confusion). */
const ALGORITHM = 'HS256';

export type SecretKey = webcrypto.CryptoKey;

export interface TokenOptions {
  readonly role?: string;
  readonly subject?: string;
  /** jose time span, e.g. '12h', '30m'; '-1h' yields an already expired token. */
  readonly ttl?: string;
}

/**
 * An HMAC CryptoKey, imported once: jose is built on WebCrypto, and handed raw bytes it
 * imports the key again on every call, which cost about a fifth of the CPU of an
 * authenticated GET (bench/http.ts).
 */
export const secretKey = (secret: string): Promise<SecretKey> =>
  webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );

/** Signs an HS256 JWT; shared by `npm run token` and the tests so both match the verifier. */
export async function signToken(secret: string, options: TokenOptions = {}): Promise<string> {
  const { role = ADMIN_ROLE, subject = 'admin-cli', ttl = '12h' } = options;
  return new SignJWT({ role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(await secretKey(secret));
}

/** Resolves to the claims of a well-formed, correctly signed, unexpired token; else rejects. */
export async function verifyToken(token: string, key: SecretKey): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM] });
  return payload;
}
