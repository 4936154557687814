import { errors } from 'jose';
import type { Middleware } from 'koa';
import { ADMIN_ROLE, secretKey, verifyToken, type SecretKey } from './auth.js';
import { HttpProblem } from './http-problem.js';
import { VerifiedTokens } from './verified-tokens.js';

/** Case-insensitive on purpose: auth must cover every spelling any router might match. */
const PROTECTED_PATH = /^\/api\/sync(?:\/|$)/i;
const BEARER = /^Bearer +([A-Za-z0-9_\-.]+) *$/i;

const unauthorized = (message: string, challenge = 'Bearer'): HttpProblem =>
  new HttpProblem(401, message, { 'WWW-Authenticate': challenge });

function bearerToken(header: string): string {
  if (header === '') {
    throw unauthorized('Authentication required: send an Authorization: Bearer <token> header.');
  }
  const token = BEARER.exec(header)?.[1];
  if (!token) {
    throw unauthorized(
      'The Authorization header must be "Bearer <token>".',
      'Bearer error="invalid_request"',
    );
  }
  return token;
}

async function claimsOf(token: string, key: Promise<SecretKey>): Promise<Record<string, unknown>> {
  try {
    return await verifyToken(token, await key);
  } catch (error) {
    const message =
      error instanceof errors.JWTExpired ? 'The token has expired.' : 'The token is invalid.';
    throw unauthorized(message, 'Bearer error="invalid_token"');
  }
}

/**
 * Guards /api/sync: a valid HS256 admin JWT or 401/403. It runs before routing and body
 * parsing, so an unauthenticated caller learns nothing about routes or validation.
 */
export function requireAdmin(jwtSecret: string): Middleware {
  const key = secretKey(jwtSecret);
  const verified = new VerifiedTokens();
  return async (ctx, next) => {
    if (!PROTECTED_PATH.test(ctx.path)) return next();
    const token = bearerToken(ctx.get('Authorization'));
    let claims = verified.get(token);
    if (!claims) {
      claims = await claimsOf(token, key);
      verified.set(token, claims);
    }
    if (claims.role !== ADMIN_ROLE)
      throw new HttpProblem(403, 'This route requires the admin role.');
    await next();
  };
}
