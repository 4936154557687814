import { inject, injectable } from 'inversify';
import type { Pool } from 'pg';
import type {
  AuditAction,
  AuditChange,
  AuditLog,
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditValue,
} from '../../domain/ports/audit-log.js';
import { decodeAuditCursor, encodeAuditCursor } from '../audit-cursor.js';
import { pageSize } from '../agent-state-list.js';
import { unreachableAs } from '../unreachable.js';
import { AUDIT_COLUMNS } from './audit-sql.js';
import { PG_POOL } from './tokens.js';

const READ = 'The audit log could not be read: the database is unreachable.';
const WRITE = 'The audit log could not be written: the database is unreachable.';

interface AuditRow {
  id: string;
  at: Date;
  actor: string | null;
  role: string;
  action: string;
  target: string | null;
  before: AuditValue;
  after: AuditValue;
  request_id: string | null;
}

/** system.audit_log. The settings and agent-state stores insert into it themselves. */
@injectable()
export class PostgresAuditLog implements AuditLog {
  constructor(@inject(PG_POOL) private readonly pool: Pool) {}

  record(change: AuditChange): Promise<void> {
    return unreachableAs(WRITE, async () => {
      await this.pool.query(
        `insert into system.audit_log (${AUDIT_COLUMNS})
         values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)`,
        [
          change.actor,
          change.role,
          change.action,
          change.target,
          JSON.stringify(change.before),
          JSON.stringify(change.after),
          change.requestId,
        ],
      );
    });
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const after = query.cursor === undefined ? null : decodeAuditCursor(query.cursor);
    const limit = pageSize(query.limit);
    return unreachableAs(READ, async () => {
      const where: string[] = [];
      const values: unknown[] = [];
      const param = (value: unknown): string => `$${values.push(value)}`;
      if (query.actor !== undefined) where.push(`actor = ${param(query.actor)}`);
      if (query.action !== undefined) where.push(`action = ${param(query.action)}`);
      if (after) {
        where.push(
          `(at, id) < (${param(new Date(after.at).toISOString())}::timestamptz, ${param(after.id)}::bigint)`,
        );
      }
      const { rows } = await this.pool.query<AuditRow>(
        `select id, at, actor, role, action, target, before, after, request_id
         from system.audit_log
         ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
         order by at desc, id desc
         limit ${param(limit + 1)}`,
        values,
      );
      const items = rows.slice(0, limit).map(toRecord);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeAuditCursor(last) : null };
    });
  }
}

const toRecord = (row: AuditRow): AuditRecord => ({
  id: Number(row.id),
  at: row.at.getTime(),
  actor: row.actor,
  role: row.role,
  // Written only from the list of actions; a row typed in by hand is shown as it is.
  action: row.action as AuditAction,
  target: row.target,
  before: row.before,
  after: row.after,
  requestId: row.request_id,
});
