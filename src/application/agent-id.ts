import { invalidInput } from '../domain/errors.js';

/** Agent ids are the host application's user ids: text, bounded so a path cannot be a payload. */
export const MAX_USER_ID_LENGTH = 200;

export function parseUserId(raw: unknown, field = 'userId'): string {
  if (typeof raw === 'string' && raw.length >= 1 && raw.length <= MAX_USER_ID_LENGTH) return raw;
  throw invalidInput(
    field,
    `must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters`,
  );
}
