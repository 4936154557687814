import type { AuditAction, AuditContext, AuditEntry } from '../domain/ports/audit-log.js';

/** A command's audit entry: none without a context (a caller that is no operator, e.g. a test). */
export const auditEntry = (
  context: AuditContext | undefined,
  action: AuditAction,
  target: string | null,
): AuditEntry | undefined => context && { ...context, action, target };
