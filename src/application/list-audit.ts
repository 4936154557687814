import { invalidInput } from '../domain/errors.js';
import {
  AUDIT_ACTIONS,
  isAuditAction,
  type AuditLog,
  type AuditPage,
  type AuditQuery,
} from '../domain/ports/audit-log.js';

export const DEFAULT_AUDIT_LIMIT = 50;
export const MAX_AUDIT_LIMIT = 500;
export const MAX_AUDIT_CURSOR_LENGTH = 200;
/** A token's subject is the operator's id: bounded so a query string cannot be a payload. */
export const MAX_AUDIT_ACTOR_LENGTH = 200;

/** As the HTTP layer hands it over: every field still to be checked here. */
export interface ListAuditQuery {
  readonly limit?: unknown;
  readonly cursor?: unknown;
  readonly actor?: unknown;
  readonly action?: unknown;
}

function validLimit(raw: unknown): number {
  const limit = raw ?? DEFAULT_AUDIT_LIMIT;
  if (Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_AUDIT_LIMIT) {
    return limit as number;
  }
  throw invalidInput('limit', `must be a whole number between 1 and ${MAX_AUDIT_LIMIT}`);
}

function validText(raw: unknown, field: string, max: number, what: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && raw.length >= 1 && raw.length <= max) return raw;
  throw invalidInput(field, `must be ${what} (at most ${max} characters)`);
}

/** One page of the audit trail, newest first, by actor and action if asked. */
export class ListAudit {
  constructor(private readonly log: AuditLog) {}

  async execute(raw: ListAuditQuery = {}): Promise<AuditPage> {
    const limit = validLimit(raw.limit);
    const cursor = validText(
      raw.cursor,
      'cursor',
      MAX_AUDIT_CURSOR_LENGTH,
      'a cursor from a previous page',
    );
    const actor = validText(raw.actor, 'actor', MAX_AUDIT_ACTOR_LENGTH, 'a non-empty string');
    if (raw.action !== undefined && !isAuditAction(raw.action)) {
      throw invalidInput('action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
    }
    const query: AuditQuery = {
      limit,
      ...(cursor !== undefined && { cursor }),
      ...(actor !== undefined && { actor }),
      ...(raw.action !== undefined && { action: raw.action }),
    };
    return this.log.list(query);
  }
}
