import type { SyncType } from '../sync-types.js';

/** The outcome of one sync job, whichever worker processed it. */
export interface SyncEvent {
  readonly jobId: string;
  readonly type: SyncType;
  readonly userId: string;
  readonly success: boolean;
  /** Epoch ms when the job finished. */
  readonly finishedAt: number;
  readonly durationMs: number | null;
  readonly error: string | null;
}

/**
 * What a tick decided, beside the job outcomes: `released` (jobs it added to the queue),
 * and for jobs it did not run `deduplicated` (still pending), `skipped_breaker` (a pair or the
 * ERP breaker open), `skipped_window` (outside the working hours) and `deferred_budget` (held
 * back by the release budget).
 */
export type DecisionClass =
  'released' | 'deduplicated' | 'skipped_breaker' | 'skipped_window' | 'deferred_budget';

/** How many jobs of one type a tick gave one class: one record per (tick, class), never per agent. */
export interface TickDecision {
  readonly type: SyncType;
  /** Epoch ms of the tick. */
  readonly at: number;
  readonly class: DecisionClass;
  /** Jobs so decided; more than zero. */
  readonly count: number;
}

/** What happened to one type within one slot `[start, start + slotMs)` of a chart. */
export interface ChartSlot {
  /** Epoch ms. */
  readonly start: number;
  /** Summed counts of the decisions of each class (`released`: jobs added to the queue). */
  readonly released: number;
  readonly deduplicated: number;
  readonly skippedBreaker: number;
  readonly skippedWindow: number;
  readonly deferredBudget: number;
  /** Job outcomes that finished within the slot. */
  readonly completed: number;
  readonly failed: number;
}

export interface ChartSlots {
  readonly slots: readonly ChartSlot[];
  /**
   * Epoch ms before which retention may have deleted the counts (the age bound: the per-type
   * row limit of the events and decisions does not touch them), so that slots before it can
   * read low; null when nothing within the range can have been pruned.
   */
  readonly historyFrom: number | null;
}

/** Bounded record of sync outcomes and tick decisions; rejects when unreachable. */
export interface SyncHistory {
  /** Idempotent per (jobId, finishedAt): several replicas may report the same outcome. */
  record(event: SyncEvent): Promise<void>;
  /**
   * Records a batch in one round trip, all or nothing, with the same idempotency (also between
   * duplicates inside the batch). The history writer's path: one statement per batch.
   * Resolves with the events it actually inserted (each new outcome once, in batch order), so
   * that the writer applies an outcome to the agent state only the first time it is seen; the
   * same ones, and only they, are added to the chart counts.
   */
  recordMany(events: readonly SyncEvent[]): Promise<readonly SyncEvent[]>;
  /** The newest `limit` events of each type, newest first. */
  recent(limit: number): Promise<Readonly<Record<SyncType, readonly SyncEvent[]>>>;
  /**
   * Records a tick's decisions in one round trip, all or nothing: every class in the chart
   * counts, every class but `released` (written on every tick and release pass, it would push
   * the rest out of retention) also as a decision `recentDecisions` lists.
   */
  recordDecisions(decisions: readonly TickDecision[]): Promise<void>;
  /** The newest `limit` decisions of each type but `released`, newest first. */
  recentDecisions(limit: number): Promise<Readonly<Record<SyncType, readonly TickDecision[]>>>;
  /**
   * One type's outcomes and decisions counted per slot: the slots start at `from` and every
   * `slotMs` after it up to the one holding `to` (none when `to < from`), oldest first; a slot
   * with nothing has zeros. Counts are kept per scheduler minute (the bucket): a slot counts
   * the buckets whose start is within `[start, start + slotMs)`.
   */
  chartSlots(type: SyncType, from: number, to: number, slotMs: number): Promise<ChartSlots>;
  /** The newest `limit` outcomes of one agent (of every type), newest first. */
  agentOutcomes(userId: string, limit: number): Promise<readonly SyncEvent[]>;
  /**
   * Deletes events, and decisions, beyond the same retention bounds (each counted apart per
   * type), and the chart counts of the minutes that ended before the age bound; resolves with
   * how many rows went.
   */
  prune(): Promise<number>;
}

export const SYNC_HISTORY = Symbol.for('sync-scheduler/SyncHistory');
