import { invalidInput } from '../domain/errors.js';

/**
 * Where a page of the audit trail ends: the last row's time (epoch ms; the column keeps
 * milliseconds, so the value round-trips exactly) and id. Newest first means every later
 * page holds rows with a smaller (at, id). Sent as opaque base64url JSON.
 */
export interface AuditCursor {
  readonly at: number;
  readonly id: number;
}

export const encodeAuditCursor = (cursor: AuditCursor): string =>
  Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');

export function decodeAuditCursor(raw: string): AuditCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [at, id] = value as unknown[];
      if (Number.isSafeInteger(at) && Number.isSafeInteger(id)) {
        return { at: at as number, id: id as number };
      }
    }
  } catch {
    // falls through to the refusal
  }
  throw invalidInput('cursor', 'is not a cursor this list handed out');
}

/** The trail's order, newest first: negative when `a` comes first. */
export const compareAuditOrder = (a: AuditCursor, b: AuditCursor): number =>
  a.at !== b.at ? b.at - a.at : b.id - a.id;
