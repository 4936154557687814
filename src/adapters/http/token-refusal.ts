import { errors } from 'jose';
import { ALGORITHM } from './auth.js';
import { HttpProblem } from './http-problem.js';

/** A 401 for a token that was sent but is not accepted; the message names the rule. */
export class TokenRefused extends HttpProblem {
  constructor(message: string, options?: { cause?: unknown }) {
    super(401, message, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, [], options);
  }
}

export const INVALID_TOKEN = 'The token is invalid.';

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
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return `The token is invalid: header "alg" must be "${ALGORITHM}".`;
  }
  return INVALID_TOKEN;
}
