import { invalidInput } from '../domain/errors.js';
import { isSyncType, type SyncType } from '../domain/sync-types.js';

/**
 * The sort key of a row of the agent-state list (newest failure first, never-failed last, then
 * type and agent): the position a page ends at. Sent as opaque base64url JSON.
 */
export interface AgentStateCursor {
  readonly lastFailedAt: number | null;
  readonly type: SyncType;
  readonly userId: string;
}

export const encodeCursor = (cursor: AgentStateCursor): string =>
  Buffer.from(JSON.stringify([cursor.lastFailedAt, cursor.type, cursor.userId])).toString(
    'base64url',
  );

export function decodeCursor(raw: string): AgentStateCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3) {
      const [lastFailedAt, type, userId] = value as unknown[];
      const at = lastFailedAt === null || Number.isSafeInteger(lastFailedAt);
      if (at && isSyncType(type) && typeof userId === 'string') {
        return { lastFailedAt: lastFailedAt as number | null, type, userId };
      }
    }
  } catch {
    // falls through to the refusal
  }
  throw invalidInput('cursor', 'is not a cursor this list handed out');
}

/** The list's order: negative when `a` comes first. */
export function compareListOrder(a: AgentStateCursor, b: AgentStateCursor): number {
  if (a.lastFailedAt !== b.lastFailedAt) {
    if (a.lastFailedAt === null) return 1;
    if (b.lastFailedAt === null) return -1;
    return b.lastFailedAt - a.lastFailedAt;
  }
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}
