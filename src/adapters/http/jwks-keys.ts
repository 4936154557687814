import { createRemoteJWKSet, errors, type JWTVerifyGetKey, type RemoteJWKSetOptions } from 'jose';
import type { Logger } from 'pino';
import { describeUrl } from '../observability/logger.js';

/** jose's own fetch timeout, cooldown and cache age, overridable for tests. */
export type JwksOptions = Pick<
  RemoteJWKSetOptions,
  'timeoutDuration' | 'cooldownDuration' | 'cacheMaxAge'
>;

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * The identity provider's key set could not be had (unreachable, timed out, not a 200, not a
 * JWKS): the token was not judged at all. `reason` finishes the sentence "its keys …".
 */
export class JwksUnavailable extends Error {
  override readonly name = 'JwksUnavailable';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`The identity provider's keys ${reason}`, options);
  }
}

/** Refusals about the token itself; anything else thrown while finding a key is the key set's. */
const isTokenProblem = (error: unknown): boolean =>
  error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;

function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof errors.JWKSTimeout) return `did not arrive within ${timeoutMs} ms`;
  if (error instanceof errors.JWKSInvalid) return 'are not a valid JSON Web Key Set';
  return 'could not be fetched';
}

/**
 * The keys at JWT_JWKS_URL, fetched and cached by jose: fetched on first use, again once the
 * copy is older than `cacheMaxAge` (10 min), and at once for a `kid` it does not know (key
 * rotation), at most once per `cooldownDuration` (30 s) so that made-up kids cannot turn into
 * a flood of fetches. A failure is logged once per outage, and its end once.
 */
export function remoteJwks(
  url: string,
  logger?: Logger,
  options: JwksOptions = {},
): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), options);
  const timeoutMs = options.timeoutDuration ?? DEFAULT_TIMEOUT_MS;
  const where = describeUrl(url);
  let failing = false;
  return async (header, token) => {
    try {
      const key = await remote(header, token);
      if (failing) logger?.info({ jwksUrl: where }, 'identity provider keys usable again');
      failing = false;
      return key;
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      const unavailable = new JwksUnavailable(reasonOf(error, timeoutMs), { cause: error });
      if (!failing) logger?.warn({ err: error, jwksUrl: where }, unavailable.message);
      failing = true;
      throw unavailable;
    }
  };
}
