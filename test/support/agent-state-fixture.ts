import {
  CLOSED_ERP_BREAKER,
  type ErpBreakerState,
  type PairOutcome,
  type PairState,
} from '../../src/domain/breakers.js';
import { invalidInput } from '../../src/domain/errors.js';
import type {
  AgentListPage,
  AgentListQuery,
  AgentStateStore,
  OutcomesApplied,
} from '../../src/domain/ports/agent-state-store.js';
import { SYNC_TYPES, type SyncType } from '../../src/domain/sync-types.js';

/**
 * TEST-ONLY stand-in for the AgentStateStore port, over rows a test writes directly: no
 * breaker rules (nothing opens by itself). It exists until the real InMemoryAgentStateStore
 * is merged, which replaces it; nothing outside this file depends on more than the port.
 */

/** A (type, agent) row with every field at rest; `fields` overrides. */
export function aPair(type: SyncType, userId: string, fields: Partial<PairState> = {}): PairState {
  return {
    type,
    userId,
    lastEnqueuedAt: null,
    lastStartedAt: null,
    lastCompletedAt: null,
    lastFailedAt: null,
    lastFailureReason: null,
    consecutiveFailures: 0,
    recentFailures: [],
    breaker: 'closed',
    openUntil: null,
    ...fields,
  };
}

const typeIndex = (type: SyncType): number => SYNC_TYPES.indexOf(type);

/** Newest failure first, never-failed last, then type (contract order), then agent. */
function byNewestFailure(a: PairState, b: PairState): number {
  const failed = (b.lastFailedAt ?? -Infinity) - (a.lastFailedAt ?? -Infinity);
  if (failed !== 0 && !Number.isNaN(failed)) return failed;
  const type = typeIndex(a.type) - typeIndex(b.type);
  if (type !== 0) return type;
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

function isStale(row: PairState, query: AgentListQuery): boolean {
  const intervalMs = query.intervalsMs?.[row.type];
  if (intervalMs === undefined || query.now === undefined) return false;
  return row.lastCompletedAt === null || query.now - row.lastCompletedAt > 2 * intervalMs;
}

const encodeCursor = (offset: number): string =>
  Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function decodeCursor(cursor: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: unknown };
    if (Number.isInteger(o) && (o as number) >= 0) return o as number;
  } catch {
    // falls through to the refusal
  }
  throw invalidInput('cursor', 'is not a cursor from a previous page');
}

const RESET = { breaker: 'closed', consecutiveFailures: 0, recentFailures: [], openUntil: null };

export class AgentStateFixture implements AgentStateStore {
  /** The rows; a test pushes into it or replaces it. */
  rows: PairState[] = [];
  erp: ErpBreakerState = CLOSED_ERP_BREAKER;
  /** Every call, by method name, for tests that check what was asked. */
  readonly calls: { method: string; args: unknown[] }[] = [];

  constructor(rows: readonly PairState[] = []) {
    this.rows = [...rows];
  }

  async recordEnqueued(type: SyncType, userIds: readonly string[], at: number): Promise<void> {
    this.calls.push({ method: 'recordEnqueued', args: [type, userIds, at] });
    for (const userId of userIds) this.upsert(type, userId, { lastEnqueuedAt: at });
  }

  async recordStarted(
    started: readonly { type: SyncType; userId: string; at: number }[],
  ): Promise<void> {
    this.calls.push({ method: 'recordStarted', args: [started] });
    for (const { type, userId, at } of started) this.upsert(type, userId, { lastStartedAt: at });
  }

  async recordOutcomes(outcomes: readonly PairOutcome[], now: number): Promise<OutcomesApplied> {
    this.calls.push({ method: 'recordOutcomes', args: [outcomes, now] });
    for (const { type, userId, success, at, reason } of outcomes) {
      this.upsert(
        type,
        userId,
        success ? { lastCompletedAt: at } : { lastFailedAt: at, lastFailureReason: reason },
      );
    }
    return { pairsChanged: [], erp: this.erp, erpChanged: false };
  }

  async blockedPairs(type: SyncType, now: number) {
    const open = this.rows.filter((r) => r.type === type && r.breaker === 'open');
    const due = (r: PairState) => r.openUntil !== null && r.openUntil <= now;
    return {
      open: new Set(open.filter((r) => !due(r)).map((r) => r.userId)),
      probe: new Set(open.filter(due).map((r) => r.userId)),
    };
  }

  async markProbing(type: SyncType, userIds: readonly string[]): Promise<void> {
    for (const userId of userIds) this.upsert(type, userId, { breaker: 'half_open' });
  }

  async list(query: AgentListQuery): Promise<AgentListPage> {
    this.calls.push({ method: 'list', args: [query] });
    const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
    const matching = this.rows
      .filter((r) => query.type === undefined || r.type === query.type)
      .filter((r) => {
        if (query.state === undefined) return true;
        return query.state === 'stale' ? isStale(r, query) : r.breaker === query.state;
      })
      .sort(byNewestFailure);
    const items = matching.slice(offset, offset + query.limit);
    const next = offset + items.length;
    return { items, nextCursor: next < matching.length ? encodeCursor(next) : null };
  }

  async agent(userId: string): Promise<readonly PairState[]> {
    this.calls.push({ method: 'agent', args: [userId] });
    return this.rows.filter((r) => r.userId === userId);
  }

  async reset(userId: string): Promise<number> {
    this.calls.push({ method: 'reset', args: [userId] });
    let changed = 0;
    this.rows = this.rows.map((r) => {
      if (r.userId !== userId) return r;
      const clean =
        r.breaker === 'closed' &&
        r.consecutiveFailures === 0 &&
        r.recentFailures.length === 0 &&
        r.openUntil === null;
      if (clean) return r;
      changed++;
      return { ...r, ...RESET } as PairState;
    });
    return changed;
  }

  async openCounts(): Promise<Readonly<Record<SyncType, number>>> {
    const counts = Object.fromEntries(SYNC_TYPES.map((t) => [t, 0])) as Record<SyncType, number>;
    for (const r of this.rows) if (r.breaker === 'open') counts[r.type]++;
    return counts;
  }

  async loadErpBreaker(): Promise<ErpBreakerState> {
    return this.erp;
  }

  async startErpProbe(now: number, sent: number): Promise<boolean> {
    if (this.erp.state !== 'open' || (this.erp.openUntil ?? Infinity) > now) return false;
    this.erp = {
      ...this.erp,
      state: 'half_open',
      since: now,
      probe: { sent, succeeded: 0, failed: 0 },
    };
    return true;
  }

  private upsert(type: SyncType, userId: string, fields: Partial<PairState>): void {
    const index = this.rows.findIndex((r) => r.type === type && r.userId === userId);
    const current = index === -1 ? aPair(type, userId) : (this.rows[index] as PairState);
    const next = { ...current, ...fields };
    if (index === -1) this.rows.push(next);
    else this.rows[index] = next;
  }
}
