/** Every kind of accepted change the audit trail records. */
export const AUDIT_ACTIONS = [
  'auto-sync.start',
  'auto-sync.stop',
  'settings.update',
  'sync.pause',
  'sync.resume',
  'window.set',
  'window.clear',
  'trigger',
  'agent.reset',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const isAuditAction = (value: unknown): value is AuditAction =>
  (AUDIT_ACTIONS as readonly unknown[]).includes(value);

/** A JSON value, as stored in the trail's before / after columns. */
export type AuditValue =
  null | boolean | number | string | readonly AuditValue[] | { readonly [key: string]: AuditValue };

/** Who asked, as the driving side verified it (the HTTP layer: the token and the request). */
export interface AuditContext {
  /** The token's `sub`, else its `userId` claim; null when it has neither. */
  readonly actor: string | null;
  readonly role: string;
  /** The request's id (X-Request-Id), to find its log lines. */
  readonly requestId: string | null;
}

/** What a store writes to the trail beside a change, in the same transaction. */
export interface AuditEntry extends AuditContext {
  readonly action: AuditAction;
  /** What changed: the type, the agent id, or null for the whole scheduler. */
  readonly target: string | null;
}

/** An entry with the values it changed; stores work these out themselves, as they write. */
export interface AuditChange extends AuditEntry {
  readonly before: AuditValue;
  readonly after: AuditValue;
}

export interface AuditRecord extends AuditChange {
  readonly id: number;
  /** Epoch ms of the change (millisecond precision). */
  readonly at: number;
}

export interface AuditQuery {
  /** 1..500 */
  readonly limit: number;
  /** Opaque, from the previous page's `nextCursor`. */
  readonly cursor?: string;
  readonly actor?: string;
  readonly action?: AuditAction;
}

export interface AuditPage {
  /** Newest first (by time, then id). */
  readonly items: readonly AuditRecord[];
  readonly nextCursor: string | null;
}

/**
 * The audit trail, shared by every replica. Settings changes and agent resets are written by
 * their own stores in the change's transaction (`audit` argument of each save); `record` is
 * for a change that lives elsewhere (a trigger's jobs are in Redis) and cannot share one.
 * Rejects with an `unavailable` SchedulerError when unreachable.
 */
export interface AuditLog {
  record(change: AuditChange): Promise<void>;
  list(query: AuditQuery): Promise<AuditPage>;
}

export const AUDIT_LOG = Symbol.for('sync-scheduler/AuditLog');
