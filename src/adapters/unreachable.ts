import { unavailable } from '../domain/errors.js';

/** Socket-level codes that mean "could not reach / lost the server", not "the server said no". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOTCONN',
]);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve right now: class 08 (connection
 * exception), 57P01-57P05 (shutdown, cannot connect now, idle session timeout...), 53300
 * (too many connections), 57014 (statement timeout: the server did not answer in time).
 */
const UNREACHABLE_SQLSTATE = /^(08...|57P0[1-5]|53300|57014)$/;

/**
 * Messages of pg, ioredis and BullMQ for a connection that is gone or never came, and of an
 * ioredis Cluster that lost its nodes or whose cluster is down.
 */
const UNREACHABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|connection refused|connection terminated|connection timeout|timeout exceeded when trying to connect|query read timeout|client has encountered a connection error|connection is closed|stream isn't writeable|max retries per request|command timed out|socket closed unexpectedly|not connected|cluster isn't ready|none of startup nodes is available|failed to refresh slots cache|^CLUSTERDOWN|cluster is (ended|disconnected)/i;

/**
 * Whether `error` means a dependency is unreachable (and retrying later may work), as opposed
 * to a bug or a refusal the code did not expect. Only the former becomes "unavailable" (503);
 * anything else surfaces as a 500 with its cause logged. AggregateError (a refused dual-stack
 * connect) counts when any of its errors does.
 */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isUnreachable)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNREACHABLE_SQLSTATE.test(code))) {
    return true;
  }
  if (typeof message === 'string' && UNREACHABLE_MESSAGE.test(message)) return true;
  return cause !== undefined && cause !== error && isUnreachable(cause);
}

/** Runs `work`; an unreachable failure becomes `unavailable(message)`, any other is rethrown. */
export async function unreachableAs<T>(message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isUnreachable(error) ? unavailable(message, error) : error;
  }
}
