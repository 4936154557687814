import type { SyncEvent, SyncHistory } from '../../domain/ports/sync-history.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { asAdapterFailure } from './failure.js';

const UNREACHABLE = 'The sync history is unreachable.';

export interface InMemorySyncHistoryRetention {
  readonly maxPerType?: number;
  readonly maxAgeDays?: number;
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;

export class InMemorySyncHistory implements SyncHistory {
  /** Insertion order; `seq` breaks ties between equal finish times, like the table's id. */
  private events: { seq: number; event: SyncEvent }[] = [];
  private seq = 0;
  private failure: Error | null = null;
  private readonly maxPerType: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(retention: InMemorySyncHistoryRetention = {}) {
    this.maxPerType = retention.maxPerType ?? 500;
    this.maxAgeMs = (retention.maxAgeDays ?? 7) * DAY_MS;
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
      inserted.push(event);
    }
    return inserted;
  }

  async recent(limit: number): Promise<Readonly<Record<SyncType, readonly SyncEvent[]>>> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const count = Math.max(0, Math.floor(limit));
    const byType = this.newestFirstByType();
    return Object.fromEntries(
      SYNC_TYPES.map((type) => [type, byType[type].slice(0, count).map(({ event }) => event)]),
    ) as Record<SyncType, SyncEvent[]>;
  }

  async prune(): Promise<number> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    const cutoff = this.now() - this.maxAgeMs;
    const byType = this.newestFirstByType();
    const kept = SYNC_TYPES.flatMap((type) =>
      byType[type].slice(0, this.maxPerType).filter(({ event }) => event.finishedAt >= cutoff),
    );
    const removed = this.events.length - kept.length;
    this.events = kept.toSorted((a, b) => a.seq - b.seq);
    return removed;
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }

  private newestFirstByType(): Record<SyncType, { seq: number; event: SyncEvent }[]> {
    const sorted = this.events.toSorted(
      (a, b) => b.event.finishedAt - a.event.finishedAt || b.seq - a.seq,
    );
    return Object.fromEntries(
      SYNC_TYPES.map((type) => [type, sorted.filter(({ event }) => event.type === type)]),
    ) as Record<SyncType, { seq: number; event: SyncEvent }[]>;
  }
}
