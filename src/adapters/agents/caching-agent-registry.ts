import type { AgentActivity } from '../../domain/activity.js';
import type { AgentRegistry } from '../../domain/ports/agent-registry.js';
import type { Clock } from '../../domain/ports/clock.js';

export type CacheOutcome = 'hit' | 'miss' | 'shared' | 'stale';

export interface CacheEvents {
  /** hit: fresh cache; miss: queried the source; shared: joined a query in flight; stale: the source failed and the last list was served. */
  lookup(outcome: CacheOutcome, error?: unknown): void;
}

const NO_EVENTS: CacheEvents = { lookup: () => {} };

/** One answer of the source: both list shapes and whether activity means anything. */
interface Snapshot {
  readonly agents: readonly AgentActivity[];
  readonly ids: readonly string[];
  readonly activityKnown: boolean;
  readonly at: number;
}

/**
 * Decorates any AgentRegistry with a time-to-live cache read through the Clock and a
 * single flight: callers arriving while a query runs share it, so the four agent types
 * firing in the same second cost one query, and a slow database never piles lookups up.
 * One query of the agents with their activity serves listAgents and listActiveAgentIds alike.
 */
export class CachingAgentRegistry implements AgentRegistry {
  private cached: Snapshot | undefined;
  private inFlight: Promise<Snapshot> | undefined;

  constructor(
    private readonly source: AgentRegistry,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly events: CacheEvents = NO_EVENTS,
  ) {}

  async listActiveAgentIds(): Promise<readonly string[]> {
    return (await this.snapshot()).ids;
  }

  async listAgents(): Promise<readonly AgentActivity[]> {
    return (await this.snapshot()).agents;
  }

  /**
   * From the last answer, fresh or not, without a lookup event: whether the host records
   * activity does not change between two lists, and each list refreshes it. Only before the
   * first list does it wait for one.
   */
  async activityKnown(): Promise<boolean> {
    return (this.cached ?? (await this.snapshot())).activityKnown;
  }

  private snapshot(): Promise<Snapshot> {
    if (this.cached && this.clock.now() - this.cached.at < this.ttlMs) {
      this.events.lookup('hit');
      return Promise.resolve(this.cached);
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
  private async query(): Promise<Snapshot> {
    try {
      const [agents, activityKnown] = await Promise.all([
        this.source.listAgents(),
        this.source.activityKnown(),
      ]);
      const ids = agents.map((agent) => agent.id);
      this.cached = { agents, ids, activityKnown, at: this.clock.now() };
      return this.cached;
    } catch (error) {
      if (!this.cached) throw error;
      this.events.lookup('stale', error);
      return this.cached;
    }
  }
}
