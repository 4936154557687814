import type { AgentRegistry } from '../../domain/ports/agent-registry.js';
import type { Clock } from '../../domain/ports/clock.js';

export type CacheOutcome = 'hit' | 'miss' | 'shared' | 'stale';

export interface CacheEvents {
  /** hit: fresh cache; miss: queried the source; shared: joined a query in flight; stale: the source failed and the last list was served. */
  lookup(outcome: CacheOutcome, error?: unknown): void;
}

const NO_EVENTS: CacheEvents = { lookup: () => {} };

/**
 * Decorates any AgentRegistry with a time-to-live cache read through the Clock and a
 * single flight: callers arriving while a query runs share it, so the four agent types
 * firing in the same second cost one query, and a slow database never piles lookups up.
 */
export class CachingAgentRegistry implements AgentRegistry {
  private cached: { ids: readonly string[]; at: number } | undefined;
  private inFlight: Promise<readonly string[]> | undefined;

  constructor(
    private readonly source: AgentRegistry,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly events: CacheEvents = NO_EVENTS,
  ) {}

  listActiveAgentIds(): Promise<readonly string[]> {
    if (this.cached && this.clock.now() - this.cached.at < this.ttlMs) {
      this.events.lookup('hit');
      return Promise.resolve(this.cached.ids);
    }
    if (this.inFlight) {
      this.events.lookup('shared');
      return this.inFlight;
    }
    this.events.lookup('miss');
    this.inFlight = this.query().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** A failure falls back to the last known list; it only rejects when there never was one. */
  private async query(): Promise<readonly string[]> {
    try {
      const ids = await this.source.listActiveAgentIds();
      this.cached = { ids, at: this.clock.now() };
      return ids;
    } catch (error) {
      if (!this.cached) throw error;
      this.events.lookup('stale', error);
      return this.cached.ids;
    }
  }
}
