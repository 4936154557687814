import { isSchedulerError } from '../domain/errors.js';

/**
 * One readable sentence-part for any thrown value. A refused connection to a host with
 * several addresses (localhost: ::1 and 127.0.0.1) is an AggregateError whose own message
 * is empty; its first cause says what happened. An "unavailable" error says which part was
 * unreachable; its cause, why (e.g. "connect ECONNREFUSED 127.0.0.1:5432").
 */
export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && !error.message && error.errors.length > 0) {
    return errorMessage(error.errors[0]);
  }
  if (isSchedulerError(error) && error.kind === 'unavailable' && error.cause !== undefined) {
    return `${error.message.replace(/\.$/, '')} (${errorMessage(error.cause)})`;
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
