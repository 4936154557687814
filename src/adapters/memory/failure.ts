import { unavailable } from '../../domain/errors.js';
import { isUnreachable } from '../unreachable.js';

/**
 * What an in-memory adapter told to fail rejects with, classified like the real adapters do:
 * an "unreachable" error (ECONNREFUSED, "connection refused", a dropped connection) becomes
 * `unavailable(message)`, anything else (a TypeError, say) is a bug and stays as it is.
 */
export const asAdapterFailure = (failure: Error, message: string): Error =>
  isUnreachable(failure) ? unavailable(message, failure) : failure;
