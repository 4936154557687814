import type { Middleware } from 'koa';
import { ADMIN_ROLE } from './auth.js';
import { HttpProblem } from './http-problem.js';
import { NOT_READY, type JwtVerifier } from './jwt-verifier.js';

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

/**
 * Guards /api/sync: a valid HS256 admin JWT or 401/403, and 503 while no key is known yet
 * (the service listens before PostgreSQL, where the generated secret lives, answers). It runs
 * before routing and body parsing, so an unauthenticated caller learns nothing about routes
 * or validation.
 */
export function requireAdmin(verifier: JwtVerifier): Middleware {
  return async (ctx, next) => {
    if (!PROTECTED_PATH.test(ctx.path)) return next();
    if (!verifier.ready) throw new HttpProblem(503, NOT_READY, { 'Retry-After': '1' });
    const claims = await verifier.verify(bearerToken(ctx.get('Authorization')));
    if (claims.role !== ADMIN_ROLE)
      throw new HttpProblem(403, 'This route requires the admin role.');
    await next();
  };
}
