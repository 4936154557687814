import { jwtVerify, SignJWT, type JWTPayload } from 'jose';

export const ADMIN_ROLE = 'admin';
/** Pinned: a token may not choose its own algorithm (no "none", no RS/HS confusion). */
const ALGORITHM = 'HS256';

export interface TokenOptions {
  readonly role?: string;
  readonly subject?: string;
  /** jose time span, e.g. '12h', '30m'; '-1h' yields an already expired token. */
  readonly ttl?: string;
}

export const secretKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/** Signs an HS256 JWT; shared by `npm run token` and the tests so both match the verifier. */
export async function signToken(secret: string, options: TokenOptions = {}): Promise<string> {
  const { role = ADMIN_ROLE, subject = 'admin-cli', ttl = '12h' } = options;
  return new SignJWT({ role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secretKey(secret));
}

/** Resolves to the claims of a well-formed, correctly signed, unexpired token; else rejects. */
export async function verifyToken(token: string, key: Uint8Array): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM] });
  return payload;
}
