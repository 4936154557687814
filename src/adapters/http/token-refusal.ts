import { errors } from 'jose';
import { ALGORITHM, PROVIDER_ALGORITHMS } from './auth.js';
import { HttpProblem } from './http-problem.js';
import { JwksUnavailable } from './jwks-keys.js';

/** A 401 for a token that was sent but is not accepted; the message names the rule. */
export class TokenRefused extends HttpProblem {
  constructor(message: string, options?: { cause?: unknown }) {
    super(401, message, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, [], options);
  }
}

export const INVALID_TOKEN = 'The token is invalid.';

/** The algorithms accepted: HS256 alone, or with an identity provider also its two. */
export function wrongAlgorithm(withProvider: boolean): string {
  const quoted = [ALGORITHM, ...(withProvider ? PROVIDER_ALGORITHMS : [])].map((a) => `"${a}"`);
  const last = quoted.pop() as string;
  const list = quoted.length > 0 ? `${quoted.join(', ')} or ${last}` : last;
  return `The token is invalid: header "alg" must be ${list}.`;
}

/**
 * One sentence for each way jose refuses a token. Claim names come from jose (the checks we
 * asked for), never from the token. A bad signature or a malformed token says no more than
 * "invalid": the caller learns nothing that would help a forgery.
 */
export function refusalOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) {
    return `The token has expired: claim "${error.claim}" is in the past.`;
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = `claim "${error.claim}"`;
    if (error.reason === 'missing') return `The token is invalid: ${claim} is missing.`;
    if (error.reason === 'invalid') return `The token is invalid: ${claim} is not a number.`;
    if (error.claim === 'nbf') return `The token is not valid yet: ${claim} is in the future.`;
    return `The token is invalid: ${claim} does not match.`;
  }
  // The pre-check in JwtVerifier refuses these first; this is the safety net behind it.
  if (error instanceof errors.JOSEAlgNotAllowed) return wrongAlgorithm(false);
  if (error instanceof JwksUnavailable) {
    return `The token could not be checked: the identity provider's keys (JWT_JWKS_URL) ${error.reason}.`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return 'The token is invalid: no key of the identity provider matches its header "kid".';
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'The token is invalid: header "kid" is needed to choose among the identity provider\'s keys.';
  }
  return INVALID_TOKEN;
}
