import type {
  AuditChange,
  AuditLog,
  AuditPage,
  AuditQuery,
  AuditRecord,
} from '../../domain/ports/audit-log.js';
import { compareAuditOrder, decodeAuditCursor, encodeAuditCursor } from '../audit-cursor.js';
import { pageSize } from '../agent-state-list.js';
import { asAdapterFailure } from './failure.js';

const UNREACHABLE = 'The audit log is unreachable.';

/**
 * The audit trail in memory. The in-memory stores append to it as part of their change (one
 * log shared by several stores, as one table serves them in PostgreSQL), after `check()`
 * passed, so a failing log fails the change with it: the in-memory form of one transaction.
 */
export class InMemoryAuditLog implements AuditLog {
  private readonly records: AuditRecord[] = [];
  private nextId = 1;
  private failure: Error | null = null;
  private readonly now: () => number;

  constructor(options: { readonly now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async record(change: AuditChange): Promise<void> {
    this.check();
    this.append(change);
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const after = query.cursor === undefined ? null : decodeAuditCursor(query.cursor);
    this.check();
    const limit = pageSize(query.limit);
    const matching = this.records
      .filter((r) => query.actor === undefined || r.actor === query.actor)
      .filter((r) => query.action === undefined || r.action === query.action)
      .filter((r) => after === null || compareAuditOrder(after, r) < 0)
      .sort(compareAuditOrder);
    const items = matching.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: matching.length > limit && last ? encodeAuditCursor(last) : null,
    };
  }

  /** Throws what the log was told to fail with; stores call it before they change anything. */
  check(): void {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
  }

  /** Part of a store's change: no failure check of its own (the store made it first). */
  append(change: AuditChange): void {
    // A deep copy, as a jsonb column keeps: the caller's objects may change afterwards.
    const copy = structuredClone(change);
    this.records.push({ ...copy, id: this.nextId++, at: this.now() });
  }

  /** Every record, oldest first (for tests). */
  entries(): readonly AuditRecord[] {
    return [...this.records];
  }

  /** Makes every later call (and every audited change) reject with `error`; null heals it. */
  failWith(error: Error | null): void {
    this.failure = error;
  }
}
