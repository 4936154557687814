import type { Context, Middleware } from 'koa';
import { HttpProblem } from './http-problem.js';
import { NOT_READY, type JwtVerifier } from './jwt-verifier.js';
import { mayUse, roleOf, type Principal } from './roles.js';

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

/** The caller of a request under /api/sync, as the guard verified it. */
export function principalOf(ctx: Context): Principal {
  const principal = (ctx.state as { principal?: Principal }).principal;
  // Only reachable by a route mounted outside the guard's path: a bug, so a 500.
  if (!principal) throw new Error(`no verified caller for ${ctx.path}`);
  return principal;
}

/**
 * Guards /api/sync: a valid token (HS256 with the secret, or RS256 / ES256 from the identity
 * provider) carrying a role, or 401/403, and 503 while no key is known yet (the service
 * listens before PostgreSQL, where the generated secret lives, answers). An admin may do
 * everything, a viewer only GET and HEAD. It runs before routing and body parsing, so a caller
 * without the right learns nothing about routes or validation.
 */
export function requireRole(verifier: JwtVerifier): Middleware {
  return async (ctx, next) => {
    if (!PROTECTED_PATH.test(ctx.path)) return next();
    if (!verifier.ready) throw new HttpProblem(503, NOT_READY, { 'Retry-After': '1' });
    const claims = await verifier.verify(bearerToken(ctx.get('Authorization')));
    const role = roleOf(claims, verifier.roleClaim);
    if (role === undefined) {
      throw new HttpProblem(
        403,
        `The token carries neither the admin nor the viewer role (claim "${verifier.roleClaim}").`,
      );
    }
    if (!mayUse(role, ctx.method)) {
      throw new HttpProblem(403, 'This route requires the admin role: a viewer may only read.');
    }
    const subject = typeof claims.sub === 'string' ? claims.sub : null;
    const userId = typeof claims.userId === 'string' ? claims.userId : null;
    const principal: Principal = { subject, role, actor: subject || userId || null };
    (ctx.state as { principal?: Principal }).principal = principal;
    await next();
  };
}
