import pg from 'pg';
import { isAuditAction, type AuditEntry } from '../../domain/ports/audit-log.js';

const { escapeLiteral } = pg;

export const AUDIT_COLUMNS = 'actor, role, action, target, before, after, request_id';

const text = (value: string | null): string => (value === null ? 'null' : escapeLiteral(value));

/**
 * The entry's own columns as SQL literals, in AUDIT_COLUMNS order around the before and after
 * expressions: for a multi-statement (simple protocol) query, where parameters are not
 * possible. Every string is escaped; an action outside the list is a bug and throws.
 */
export function auditValues(entry: AuditEntry, before: string, after: string): string {
  if (!isAuditAction(entry.action)) throw new TypeError(`not an audit action: ${entry.action}`);
  return [
    text(entry.actor),
    text(entry.role),
    text(entry.action),
    text(entry.target),
    before,
    after,
    text(entry.requestId),
  ].join(', ');
}

/**
 * One statement that makes a change and records it: `old` reads the values before (the
 * statement's snapshot does not see its own write), `written` is the write with
 * `returning <view> as v`, and the audit row gets both. Either all of it lands or none.
 * `fallback` stands in for a row the write creates (none before: the defaults it reported).
 */
export function auditedWrite(options: {
  readonly entry: AuditEntry;
  /** `select <view> as v from ... where ...`: at most one row. */
  readonly old: string;
  /** The write, ending in `returning <view> as v`. */
  readonly written: string;
  /** A jsonb expression for "no row before". */
  readonly fallback: string;
}): string {
  const { entry, old, written, fallback } = options;
  return `with old as (${old}), written as (${written})
    insert into system.audit_log (${AUDIT_COLUMNS})
    select ${auditValues(
      entry,
      `coalesce((select v from old), ${fallback})`,
      '(select v from written)',
    )}`;
}

/** A JSON value as a jsonb literal. */
export const jsonLiteral = (value: unknown): string =>
  `${escapeLiteral(JSON.stringify(value))}::jsonb`;
