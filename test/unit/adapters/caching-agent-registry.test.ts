import { describe, expect, it } from 'vitest';
import {
  CachingAgentRegistry,
  type CacheOutcome,
} from '../../../src/adapters/agents/caching-agent-registry.js';
import { InMemoryAgentRegistry } from '../../../src/adapters/memory/in-memory-agent-registry.js';
import { ManualClock } from '../../../src/adapters/memory/manual-clock.js';

function build(ttlMs = 5000) {
  const clock = new ManualClock();
  const source = new InMemoryAgentRegistry(['a-1', 'a-2']);
  const outcomes: CacheOutcome[] = [];
  const cache = new CachingAgentRegistry(source, clock, ttlMs, {
    lookup: (outcome) => outcomes.push(outcome),
  });
  return { clock, source, cache, outcomes };
}

describe('CachingAgentRegistry', () => {
  it('serves repeated lookups within the time-to-live from one query', async () => {
    const { cache, source, clock, outcomes } = build();
    expect(await cache.listActiveAgentIds()).toEqual(['a-1', 'a-2']);
    clock.advance(4999);
    source.setAgents(['a-3']);
    expect(await cache.listActiveAgentIds()).toEqual(['a-1', 'a-2']);
    expect(source.calls).toBe(1);
    expect(outcomes).toEqual(['miss', 'hit']);
  });

  it('queries again once the time-to-live has passed', async () => {
    const { cache, source, clock } = build();
    await cache.listActiveAgentIds();
    source.setAgents(['a-3']);
    clock.advance(5000);
    expect(await cache.listActiveAgentIds()).toEqual(['a-3']);
    expect(source.calls).toBe(2);
  });

  it('lets concurrent callers share the query in flight', async () => {
    const { cache, source, outcomes } = build();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.listActiveAgentIds()),
    );
    expect(source.calls).toBe(1);
    expect(new Set(results.map((r) => r.join()))).toEqual(new Set(['a-1,a-2']));
    expect(outcomes.filter((o) => o === 'shared')).toHaveLength(99);
  });

  it('serves the last known list when the source fails', async () => {
    const { cache, source, clock, outcomes } = build();
    await cache.listActiveAgentIds();
    clock.advance(5000);
    source.failWith(new Error('connection refused'));
    expect(await cache.listActiveAgentIds()).toEqual(['a-1', 'a-2']);
    expect(outcomes).toEqual(['miss', 'miss', 'stale']);
  });

  it('rejects only when it never had a list', async () => {
    const { cache, source } = build();
    source.failWith(new Error('connection refused'));
    await expect(cache.listActiveAgentIds()).rejects.toMatchObject({
      kind: 'unavailable',
      cause: expect.objectContaining({ message: 'connection refused' }),
    });
    source.failWith(null);
    expect(await cache.listActiveAgentIds()).toEqual(['a-1', 'a-2']);
  });

  it('does not cache at all with a time-to-live of 0', async () => {
    const { cache, source } = build(0);
    await cache.listActiveAgentIds();
    await cache.listActiveAgentIds();
    expect(source.calls).toBe(2);
  });

  describe('with activity', () => {
    const SEEN = Date.UTC(2026, 11, 1, 9, 0);

    it('serves listAgents and listActiveAgentIds from one query per time-to-live', async () => {
      const { cache, source, clock, outcomes } = build();
      source.setAgentActivity([
        { id: 'a-1', lastActivityAt: SEEN },
        { id: 'a-2', lastActivityAt: null },
      ]);
      expect(await cache.listAgents()).toEqual([
        { id: 'a-1', lastActivityAt: SEEN },
        { id: 'a-2', lastActivityAt: null },
      ]);
      clock.advance(4999);
      expect(await cache.listActiveAgentIds()).toEqual(['a-1', 'a-2']);
      expect(await cache.activityKnown()).toBe(true);
      expect(source.calls).toBe(1);
      expect(outcomes).toEqual(['miss', 'hit']);
    });

    it('lets a listAgents and a listActiveAgentIds in flight together share one query', async () => {
      const { cache, source } = build();
      const [agents, ids, known] = await Promise.all([
        cache.listAgents(),
        cache.listActiveAgentIds(),
        cache.activityKnown(),
      ]);
      expect(agents.map((agent) => agent.id)).toEqual(ids);
      expect(known).toBe(false);
      expect(source.calls).toBe(1);
    });

    it('answers activityKnown from the last list, fresh or not, without a lookup', async () => {
      const { cache, source, clock, outcomes } = build();
      expect(await cache.activityKnown()).toBe(false); // no list yet: one query
      source.setAgentActivity([{ id: 'a-1', lastActivityAt: SEEN }]);
      clock.advance(60_000);
      expect(await cache.activityKnown()).toBe(false);
      expect(source.calls).toBe(1);
      expect(outcomes).toEqual(['miss']);
      await cache.listAgents(); // the next list refreshes it
      expect(await cache.activityKnown()).toBe(true);
    });

    it('serves the last known agents and activity when the source fails', async () => {
      const { cache, source, clock } = build();
      source.setAgentActivity([{ id: 'a-1', lastActivityAt: SEEN }]);
      await cache.listAgents();
      clock.advance(5000);
      source.failWith(new Error('connection refused'));
      expect(await cache.listAgents()).toEqual([{ id: 'a-1', lastActivityAt: SEEN }]);
      expect(await cache.activityKnown()).toBe(true);
    });

    it('rejects activityKnown only when it never had a list', async () => {
      const { cache, source } = build();
      source.failWith(new Error('connection refused'));
      await expect(cache.activityKnown()).rejects.toMatchObject({ kind: 'unavailable' });
    });
  });
});
