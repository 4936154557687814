import type { Context } from 'koa';
import type { AuditContext } from '../../domain/ports/audit-log.js';
import { principalOf } from './auth-middleware.js';
import { requestIdOf } from './request-id.js';

/** Who asks for a change, for the audit trail: the verified token and the request's id. */
export function auditContextOf(ctx: Context): AuditContext {
  const { actor, role } = principalOf(ctx);
  return { actor, role, requestId: requestIdOf(ctx) };
}
