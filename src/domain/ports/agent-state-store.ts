import type { BreakerState, ErpBreakerState, PairOutcome, PairState } from '../breakers.js';
import type { SyncType } from '../sync-types.js';
import type { AuditEntry } from './audit-log.js';

export interface AgentListQuery {
  readonly type?: SyncType;
  /** A breaker state, or 'stale': no success for more than two intervals of its type. */
  readonly state?: BreakerState | 'stale';
  /** 1..500 */
  readonly limit: number;
  /** Opaque, from the previous page's `nextCursor`. */
  readonly cursor?: string;
  /** For 'stale': the interval (ms) of each type, and now. */
  readonly intervalsMs?: Readonly<Record<SyncType, number>>;
  readonly now?: number;
}

export interface OutcomesApplied {
  /** Pairs whose breaker state changed, as they are now. */
  readonly pairsChanged: readonly PairState[];
  readonly erp: ErpBreakerState;
  readonly erpChanged: boolean;
}

export interface AgentListPage {
  /** Newest failure first (pairs that never failed last), then by type and agent. */
  readonly items: readonly PairState[];
  readonly nextCursor: string | null;
}

/**
 * Per-(type, agent) sync state and the breakers, shared by every replica. Only the leader
 * writes (ticks and the single history writer); every replica reads. Rejects with an
 * `unavailable` SchedulerError when unreachable.
 */
export interface AgentStateStore {
  /** The ticks' enqueued jobs (added, not deduplicated). One round trip for the whole batch. */
  recordEnqueued(type: SyncType, userIds: readonly string[], at: number): Promise<void>;
  /** Workers took these jobs. */
  recordStarted(started: readonly { type: SyncType; userId: string; at: number }[]): Promise<void>;
  /**
   * Applies final outcomes in order, the pair breaker rules and the ERP breaker rules
   * included, in one transaction; returns the pairs whose breaker changed state and the ERP
   * breaker after the batch, for logs and metrics. Called once per outcome (the writer is
   * idempotent per job and finish time before it calls this).
   */
  recordOutcomes(outcomes: readonly PairOutcome[], now: number): Promise<OutcomesApplied>;
  /**
   * Pairs of `type` a tick must not enqueue now (breaker open, `openUntil` not reached) and
   * pairs due a probe (open, `openUntil` passed): the tick sends those and marks them half open.
   */
  blockedPairs(
    type: SyncType,
    now: number,
  ): Promise<{ readonly open: ReadonlySet<string>; readonly probe: ReadonlySet<string> }>;
  markProbing(type: SyncType, userIds: readonly string[]): Promise<void>;
  /**
   * When each pair of `type` last succeeded (`lastCompletedAt`, epoch ms), by agent id
   * (`service-account` for a shared type); pairs that never succeeded are absent. One round
   * trip, for ordering a tick's agents most stale first.
   */
  lastSuccesses(type: SyncType): Promise<ReadonlyMap<string, number>>;
  list(query: AgentListQuery): Promise<AgentListPage>;
  /** Every row of one agent (its agent types; shared types under `service-account`). */
  agent(userId: string): Promise<readonly PairState[]>;
  /**
   * Closes every breaker of the agent and clears its failure counts; resolves with the rows
   * changed. Given `audit`, writes it to the audit trail in the same transaction, with the
   * changed rows before and after, but only when the agent has any row (an unknown agent is
   * no change).
   */
  reset(userId: string, audit?: AuditEntry): Promise<number>;
  /** Open pair breakers per type, for the metric. */
  openCounts(): Promise<Readonly<Record<SyncType, number>>>;
  loadErpBreaker(): Promise<ErpBreakerState>;
  /**
   * Atomically: if the ERP breaker is open and `openUntil` has passed, turns it half open with
   * a probe of `sent` jobs and resolves true; otherwise changes nothing and resolves false
   * (so two ticks can never both send a probe).
   */
  startErpProbe(now: number, sent: number): Promise<boolean>;
}

export const AGENT_STATE_STORE = Symbol.for('sync-scheduler/AgentStateStore');
