import {
  applyErpOutcomes,
  applyPairOutcome,
  emptyPair,
  pairDecision,
  resetPair,
  startErpProbe,
  startPairProbe,
} from '../../domain/breaker-rules.js';
import {
  CLOSED_ERP_BREAKER,
  DEFAULT_ERP_BREAKER_RULES,
  DEFAULT_PAIR_BREAKER_RULES,
  type ErpBreakerRules,
  type ErpBreakerState,
  type PairBreakerRules,
  type PairOutcome,
  type PairState,
} from '../../domain/breakers.js';
import type {
  AgentListPage,
  AgentListQuery,
  AgentStateStore,
  OutcomesApplied,
} from '../../domain/ports/agent-state-store.js';
import type { AuditEntry, AuditValue } from '../../domain/ports/audit-log.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { compareListOrder, decodeCursor, encodeCursor } from '../agent-state-cursor.js';
import { asAdapterFailure } from './failure.js';
import { InMemoryAuditLog } from './in-memory-audit-log.js';
import { listFilter, pageSize } from '../agent-state-list.js';

const UNREACHABLE = 'The agent state store is unreachable.';
const key = (type: SyncType, userId: string): string => `${type}\u0000${userId}`;
const later = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));
/** A pair's breaker as the audit trail shows a reset: state and failure counts. */
const breakerValue = (pair: PairState): AuditValue => ({
  breaker: pair.breaker,
  consecutiveFailures: pair.consecutiveFailures,
  recentFailures: pair.recentFailures.length,
});

export class InMemoryAgentStateStore implements AgentStateStore {
  private readonly pairs = new Map<string, PairState>();
  private erp: ErpBreakerState = CLOSED_ERP_BREAKER;
  private failure: Error | null = null;

  constructor(
    private readonly pairRules: PairBreakerRules = DEFAULT_PAIR_BREAKER_RULES,
    private readonly erpRules: ErpBreakerRules = DEFAULT_ERP_BREAKER_RULES,
    /** Where an audited reset appends its entry (shared with the other stores, or its own). */
    readonly auditLog: InMemoryAuditLog = new InMemoryAuditLog(),
  ) {}

  async recordEnqueued(type: SyncType, userIds: readonly string[], at: number): Promise<void> {
    this.check();
    for (const userId of userIds) {
      const pair = this.get(type, userId);
      this.set({ ...pair, lastEnqueuedAt: later(pair.lastEnqueuedAt, at) });
    }
  }

  async recordStarted(
    started: readonly { type: SyncType; userId: string; at: number }[],
  ): Promise<void> {
    this.check();
    for (const { type, userId, at } of started) {
      const pair = this.get(type, userId);
      this.set({ ...pair, lastStartedAt: later(pair.lastStartedAt, at) });
    }
  }

  async recordOutcomes(outcomes: readonly PairOutcome[], now: number): Promise<OutcomesApplied> {
    this.check();
    const before = new Map<string, PairState | undefined>();
    for (const outcome of outcomes) {
      const id = key(outcome.type, outcome.userId);
      if (!before.has(id)) before.set(id, this.pairs.get(id));
      this.set(applyPairOutcome(this.pairs.get(id), outcome, this.pairRules));
    }
    const pairsChanged = [...before]
      .map(([id, old]) => ({ old, now: this.pairs.get(id) as PairState }))
      .filter(({ old, now }) => (old?.breaker ?? 'closed') !== now.breaker)
      .map(({ now }) => now);
    const erpBefore = this.erp;
    this.erp = applyErpOutcomes(this.erp, outcomes, now, this.erpRules);
    return {
      pairsChanged,
      erp: this.erp,
      erpChanged: erpBefore.state !== this.erp.state,
    };
  }

  async blockedPairs(
    type: SyncType,
    now: number,
  ): Promise<{ readonly open: ReadonlySet<string>; readonly probe: ReadonlySet<string> }> {
    this.check();
    const open = new Set<string>();
    const probe = new Set<string>();
    for (const pair of this.pairs.values()) {
      if (pair.type !== type) continue;
      const decision = pairDecision(pair, now);
      if (decision === 'skip') open.add(pair.userId);
      if (decision === 'probe') probe.add(pair.userId);
    }
    return { open, probe };
  }

  async markProbing(type: SyncType, userIds: readonly string[]): Promise<void> {
    this.check();
    for (const userId of userIds) {
      const pair = this.pairs.get(key(type, userId));
      if (pair) this.set(startPairProbe(pair));
    }
  }

  async lastSuccesses(type: SyncType): Promise<ReadonlyMap<string, number>> {
    this.check();
    const successes = new Map<string, number>();
    for (const pair of this.pairs.values()) {
      if (pair.type === type && pair.lastCompletedAt !== null) {
        successes.set(pair.userId, pair.lastCompletedAt);
      }
    }
    return successes;
  }

  async list(query: AgentListQuery): Promise<AgentListPage> {
    this.check();
    const matches = listFilter(query);
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const rows = [...this.pairs.values()]
      .filter((pair) => matches(pair) && (after === null || compareListOrder(pair, after) > 0))
      .sort(compareListOrder);
    const limit = pageSize(query.limit);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  async agent(userId: string): Promise<readonly PairState[]> {
    this.check();
    return SYNC_TYPES.flatMap((type) => this.pairs.get(key(type, userId)) ?? []);
  }

  async reset(userId: string, audit?: AuditEntry): Promise<number> {
    this.check();
    if (audit) this.auditLog.check();
    const pairs = await this.agent(userId);
    const before: Record<string, AuditValue> = {};
    const after: Record<string, AuditValue> = {};
    for (const pair of pairs) {
      const reset = resetPair(pair);
      if (
        pair.breaker !== reset.breaker ||
        pair.consecutiveFailures !== 0 ||
        pair.recentFailures.length !== 0
      ) {
        this.set(reset);
        before[pair.type] = breakerValue(pair);
        after[pair.type] = breakerValue(reset);
      }
    }
    if (audit && pairs.length > 0) this.auditLog.append({ ...audit, before, after });
    return Object.keys(before).length;
  }

  async openCounts(): Promise<Readonly<Record<SyncType, number>>> {
    this.check();
    const counts = Object.fromEntries(SYNC_TYPES.map((type) => [type, 0])) as Record<
      SyncType,
      number
    >;
    for (const pair of this.pairs.values()) if (pair.breaker !== 'closed') counts[pair.type]++;
    return counts;
  }

  async loadErpBreaker(): Promise<ErpBreakerState> {
    this.check();
    return this.erp;
  }

  async startErpProbe(now: number, sent: number): Promise<boolean> {
    this.check();
    const next = startErpProbe(this.erp, now, sent, this.erpRules);
    if (next === this.erp) return false;
    this.erp = next;
    return true;
  }

  /**
   * Test arrangement: writes exactly these rows, as given (no breaker rules applied), each
   * replacing the row of the same (type, agent) or inserting it; other rows stay. Like a
   * fixture's INSERT ... ON CONFLICT DO UPDATE into the table, so any state PostgreSQL could
   * hold can be set up in one step.
   */
  seed(rows: readonly PairState[]): void {
    for (const row of rows) this.set(row);
  }

  /** Test arrangement: the ERP breaker is now exactly `state`. */
  seedErp(state: ErpBreakerState): void {
    this.erp = state;
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }

  private check(): void {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
  }

  private get(type: SyncType, userId: string): PairState {
    return this.pairs.get(key(type, userId)) ?? emptyPair(type, userId);
  }

  private set(pair: PairState): void {
    this.pairs.set(key(pair.type, pair.userId), pair);
  }
}
