import type { ListAudit } from '../../../application/list-audit.js';
import type { AuditRecord } from '../../../domain/ports/audit-log.js';
import * as s from '../schemas.js';
import { parseInput } from '../validation.js';
import type { Route } from './route.js';

export interface AuditUseCases {
  readonly listAudit: ListAudit;
}

/** Field by field, so a store that keeps more never leaks it into the API. */
const recordJson = (record: AuditRecord) => ({
  id: record.id,
  at: record.at,
  actor: record.actor,
  role: record.role,
  action: record.action,
  target: record.target,
  before: record.before,
  after: record.after,
  requestId: record.requestId,
});

/** The audit trail: read by admins and viewers alike (a GET). */
export function auditRoutes(u: AuditUseCases): Route[] {
  return [
    {
      method: 'get',
      path: '/api/sync/audit',
      summary: 'Accepted changes, newest first: who, what, before and after, the request id',
      auth: true,
      query: s.auditQuery,
      success: { status: 200, description: 'One page of changes', schema: s.auditListResponse },
      errors: [401, 403, 400, 503],
      handle: async (ctx) => {
        const query = parseInput(s.auditQuery, ctx.query);
        const page = await u.listAudit.execute(query);
        ctx.body = {
          success: true,
          entries: page.items.map(recordJson),
          nextCursor: page.nextCursor,
        };
      },
    },
  ];
}
