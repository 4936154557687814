import { describe, expect, it } from 'vitest';
import { InMemoryAgentStateStore } from '../../../src/adapters/memory/in-memory-agent-state-store.js';
import { InMemorySyncHistory } from '../../../src/adapters/memory/in-memory-sync-history.js';
import type { TickDecision } from '../../../src/domain/ports/sync-history.js';
import { advance, aScheduler, MINUTE } from '../../support/scheduler-fixture.js';

/** Three consecutive failures of a-2's orders: its pair breaker opens for 2 h. */
async function openPair(store: InMemoryAgentStateStore, now: number): Promise<void> {
  const outcomes = [1, 2, 3].map((i) => ({
    type: 'orders' as const,
    userId: 'a-2',
    success: false,
    at: now - i * 1000,
    reason: 'ERP refused the login',
  }));
  await store.recordOutcomes(outcomes, now);
}

const byClass = (decisions: readonly TickDecision[]): TickDecision[] =>
  decisions.toSorted((a, b) => a.class.localeCompare(b.class));

describe('SchedulingService', () => {
  describe('tick decisions', () => {
    it('records one row per class: an open pair and a pending job give exactly two', async () => {
      const agentState = new InMemoryAgentStateStore();
      const syncHistory = new InMemorySyncHistory();
      const parts = aScheduler({ agentState, syncHistory });
      await openPair(agentState, parts.clock.now());
      await parts.start();
      await advance(parts.clock, 10 * MINUTE); // a-1 and a-3 sent, a-2 held back
      parts.queue.complete('orders', 'a-3'); // a-1 is still pending

      await advance(parts.clock, 10 * MINUTE);
      await parts.scheduler.drain();

      const secondTick = parts.clock.now();
      const orders = (await syncHistory.recentDecisions(10)).orders;
      expect(byClass(orders.filter((decision) => decision.at === secondTick))).toEqual([
        { type: 'orders', at: secondTick, class: 'deduplicated', count: 1 },
        { type: 'orders', at: secondTick, class: 'skipped_breaker', count: 1 },
      ]);
      expect(orders.filter((decision) => decision.at !== secondTick)).toEqual([
        { type: 'orders', at: secondTick - 10 * MINUTE, class: 'skipped_breaker', count: 1 },
      ]);
    });

    it('records nothing for a tick that sent every job', async () => {
      const syncHistory = new InMemorySyncHistory();
      const parts = aScheduler({ syncHistory, history: 'never' });
      await parts.start();
      await advance(parts.clock, 0); // every type's first tick
      await parts.scheduler.drain();

      expect(parts.observer.completed).toHaveLength(6);
      const recent = await syncHistory.recentDecisions(10);
      expect(Object.values(recent).flat()).toEqual([]);
      // What it released is counted for the charts (not a decision row).
      const now = parts.clock.now();
      const { slots } = await syncHistory.chartSlots('orders', now - 10 * MINUTE, now, 10 * MINUTE);
      expect(slots.reduce((sum, slot) => sum + slot.released, 0)).toBe(3);
    });

    it('reports a failed write and goes on scheduling', async () => {
      const syncHistory = new InMemorySyncHistory();
      const parts = aScheduler({ syncHistory, history: 'never' });
      await parts.start();
      syncHistory.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));

      await advance(parts.clock, 10 * MINUTE); // every job of the first ticks is still pending
      await parts.scheduler.drain();

      expect(parts.observer.decisionFailures).not.toHaveLength(0);
      expect(parts.observer.failed).toEqual([]);
    });
  });
});
