import { bucketStart, historyFrom, slotCount } from '../../domain/chart-slots.js';
import type {
  ChartSlot,
  ChartSlots,
  DecisionClass,
  SyncEvent,
  SyncHistory,
  TickDecision,
} from '../../domain/ports/sync-history.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { asAdapterFailure } from './failure.js';

const UNREACHABLE = 'The sync history is unreachable.';

export interface InMemorySyncHistoryRetention {
  readonly maxPerType?: number;
  readonly maxAgeDays?: number;
  /** The chart counts' bucket, the scheduler minute (default 60000). */
  readonly minuteMs?: number;
  readonly now?: () => number;
}

/** What the chart counts: an outcome or a decision class. */
type CountClass = DecisionClass | 'completed' | 'failed';

const DAY_MS = 86_400_000;

export class InMemorySyncHistory implements SyncHistory {
  /** Insertion order; `seq` breaks ties between equal finish times, like the table's id. */
  private events: { seq: number; event: SyncEvent }[] = [];
  private decisions: { seq: number; decision: TickDecision }[] = [];
  /** The chart counts, like system.sync_counts: one entry per (type, bucket, class). */
  private readonly rollup = new Map<
    string,
    { type: SyncType; bucket: number; class: CountClass; count: number }
  >();
  private seq = 0;
  private failure: Error | null = null;
  private readonly maxPerType: number;
  private readonly maxAgeMs: number;
  private readonly minuteMs: number;
  private readonly now: () => number;

  constructor(retention: InMemorySyncHistoryRetention = {}) {
    this.maxPerType = retention.maxPerType ?? 500;
    this.maxAgeMs = (retention.maxAgeDays ?? 7) * DAY_MS;
    this.minuteMs = retention.minuteMs ?? 60_000;
    this.now = retention.now ?? Date.now;
  }

  async record(event: SyncEvent): Promise<void> {
    await this.recordMany([event]);
  }

  async recordMany(events: readonly SyncEvent[]): Promise<readonly SyncEvent[]> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const inserted: SyncEvent[] = [];
    for (const event of events) {
      const known = this.events.some(
        ({ event: e }) => e.jobId === event.jobId && e.finishedAt === event.finishedAt,
      );
      if (known) continue;
      const durationMs = event.durationMs === null ? null : Math.round(event.durationMs);
      this.events.push({ seq: ++this.seq, event: { ...event, durationMs } });
      this.addToRollup(event.type, event.finishedAt, event.success ? 'completed' : 'failed', 1);
      inserted.push(event);
    }
    return inserted;
  }

  async recent(limit: number): Promise<Readonly<Record<SyncType, readonly SyncEvent[]>>> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const count = Math.max(0, Math.floor(limit));
    const byType = newestFirstByType(this.events, ({ event }) => event);
    return Object.fromEntries(
      SYNC_TYPES.map((type) => [type, byType[type].slice(0, count).map(({ event }) => event)]),
    ) as Record<SyncType, SyncEvent[]>;
  }

  async recordDecisions(decisions: readonly TickDecision[]): Promise<void> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    for (const decision of decisions) {
      this.addToRollup(decision.type, decision.at, decision.class, decision.count);
      // Released is only counted: kept as a decision, it would push the rest out of retention.
      if (decision.class !== 'released') {
        this.decisions.push({ seq: ++this.seq, decision: { ...decision } });
      }
    }
  }

  async recentDecisions(
    limit: number,
  ): Promise<Readonly<Record<SyncType, readonly TickDecision[]>>> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const count = Math.max(0, Math.floor(limit));
    const byType = newestFirstByType(this.decisions, ({ decision }) => decision);
    return Object.fromEntries(
      SYNC_TYPES.map((type) => [
        type,
        byType[type].slice(0, count).map(({ decision }) => decision),
      ]),
    ) as Record<SyncType, TickDecision[]>;
  }

  async chartSlots(type: SyncType, from: number, to: number, slotMs: number): Promise<ChartSlots> {
    const count = slotCount(from, to, slotMs);
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const slots = Array.from({ length: count }, (_, i) => ({
      ...EMPTY_SLOT,
      start: from + i * slotMs,
    }));
    // A bucket belongs to the slot its start falls in.
    for (const { type: counted, bucket, class: countClass, count: n } of this.rollup.values()) {
      const slot =
        counted === type && bucket >= from
          ? slots[Math.floor((bucket - from) / slotMs)]
          : undefined;
      if (slot) slot[SLOT_FIELD[countClass]] += n;
    }
    return { slots, historyFrom: historyFrom(from, this.now() - this.maxAgeMs) };
  }

  async agentOutcomes(userId: string, limit: number): Promise<readonly SyncEvent[]> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    return this.events
      .filter(({ event }) => event.userId === userId)
      .toSorted((a, b) => b.event.finishedAt - a.event.finishedAt || b.seq - a.seq)
      .slice(0, Math.max(0, Math.floor(limit)))
      .map(({ event }) => event);
  }

  async prune(): Promise<number> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const cutoff = this.now() - this.maxAgeMs;
    const events = this.keep(this.events, ({ event }) => event, cutoff);
    const decisions = this.keep(this.decisions, ({ decision }) => decision, cutoff);
    let removed = this.events.length - events.length + this.decisions.length - decisions.length;
    this.events = events;
    this.decisions = decisions;
    // Only minutes that ended by the cutoff, like PostgreSQL.
    for (const [key, { bucket }] of this.rollup) {
      if (bucket + this.minuteMs <= cutoff && this.rollup.delete(key)) removed++;
    }
    return removed;
  }

  private addToRollup(type: SyncType, at: number, countClass: CountClass, n: number): void {
    const bucket = bucketStart(at, this.minuteMs);
    const key = `${type} ${bucket} ${countClass}`;
    const entry = this.rollup.get(key);
    if (entry) entry.count += n;
    else this.rollup.set(key, { type, bucket, class: countClass, count: n });
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }

  /** The newest maxPerType rows of each type, none older than `cutoff`, in insertion order. */
  private keep<R extends { seq: number }>(
    rows: readonly R[],
    entry: (row: R) => Entry,
    cutoff: number,
  ): R[] {
    const byType = newestFirstByType(rows, entry);
    return SYNC_TYPES.flatMap((type) =>
      byType[type].slice(0, this.maxPerType).filter((row) => timeOf(entry(row)) >= cutoff),
    ).toSorted((a, b) => a.seq - b.seq);
  }
}

type Entry = SyncEvent | TickDecision;

type Counts = { -readonly [K in keyof ChartSlot]: ChartSlot[K] };

const EMPTY_SLOT: Omit<Counts, 'start'> = {
  released: 0,
  deduplicated: 0,
  skippedBreaker: 0,
  skippedWindow: 0,
  deferredBudget: 0,
  completed: 0,
  failed: 0,
};

const SLOT_FIELD: Readonly<Record<CountClass, keyof Omit<Counts, 'start'>>> = {
  completed: 'completed',
  failed: 'failed',
  released: 'released',
  deduplicated: 'deduplicated',
  skipped_breaker: 'skippedBreaker',
  skipped_window: 'skippedWindow',
  deferred_budget: 'deferredBudget',
};

const timeOf = (entry: Entry): number => ('finishedAt' in entry ? entry.finishedAt : entry.at);

/** Newest first within each type; `seq` breaks ties between equal times, like the table's id. */
function newestFirstByType<R extends { seq: number }>(
  rows: readonly R[],
  entry: (row: R) => Entry,
): Record<SyncType, R[]> {
  const sorted = rows.toSorted((a, b) => timeOf(entry(b)) - timeOf(entry(a)) || b.seq - a.seq);
  return Object.fromEntries(
    SYNC_TYPES.map((type) => [type, sorted.filter((row) => entry(row).type === type)]),
  ) as Record<SyncType, R[]>;
}
