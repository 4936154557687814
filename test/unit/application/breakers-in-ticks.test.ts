import { describe, expect, it } from 'vitest';
import { InMemoryAgentStateStore } from '../../../src/adapters/memory/in-memory-agent-state-store.js';
import { TriggerSync } from '../../../src/application/trigger-sync.js';
import type { PairOutcome } from '../../../src/domain/breakers.js';
import type { SyncType } from '../../../src/domain/sync-types.js';
import { advance, aScheduler, MINUTE } from '../../support/scheduler-fixture.js';

const HOUR = 60 * MINUTE;
const failure = (type: SyncType, userId: string, at: number): PairOutcome => ({
  type,
  userId,
  success: false,
  at,
  reason: 'ERP refused the login',
});
const success = (type: SyncType, userId: string, at: number): PairOutcome => ({
  type,
  userId,
  success: true,
  at,
  reason: null,
});
const usersIn = (batch: { userId: string; type: string }[] | undefined, type: SyncType) =>
  (batch ?? []).filter((job) => job.type === type).map((job) => job.userId);
const lastBatchOf = (batches: { type: string; userId: string }[][], type: SyncType) =>
  batches.filter((batch) => batch[0]?.type === type).at(-1);

/** Three consecutive failures of a-2's orders: its pair breaker opens for 2 h. */
async function openPair(store: InMemoryAgentStateStore, now: number): Promise<void> {
  await store.recordOutcomes(
    [1, 2, 3].map((i) => failure('orders', 'a-2', now - i * 1000)),
    now,
  );
}

describe('breakers in ticks', () => {
  it('does not enqueue a pair whose breaker is open, and counts it as skipped_breaker', async () => {
    const agentState = new InMemoryAgentStateStore();
    const parts = aScheduler({ agentState });
    await openPair(agentState, parts.clock.now());
    await parts.start();
    await advance(parts.clock, 10 * MINUTE);

    expect(usersIn(lastBatchOf(parts.queue.batches, 'orders'), 'orders')).toEqual(['a-1', 'a-3']);
    expect(parts.observer.completed.find((r) => r.type === 'orders')).toMatchObject({
      agents: 3,
      added: 2,
      skippedBreaker: 1,
    });
    // Other types of the same agent are not affected.
    await advance(parts.clock, 5 * MINUTE);
    expect(usersIn(lastBatchOf(parts.queue.batches, 'customers'), 'customers')).toContain('a-2');
  });

  it('sends one probe once the open period passed, marks it half open, and closes on its success', async () => {
    const agentState = new InMemoryAgentStateStore();
    const parts = aScheduler({ agentState });
    await openPair(agentState, parts.clock.now());
    await parts.start();
    await advance(parts.clock, 2 * HOUR);
    const probeBatch = lastBatchOf(parts.queue.batches, 'orders');
    expect(usersIn(probeBatch, 'orders')).toContain('a-2');
    expect((await agentState.agent('a-2')).find((r) => r.type === 'orders')?.breaker).toBe(
      'half_open',
    );

    // While the probe is out, the pair is not sent again.
    parts.queue.completeAll();
    await advance(parts.clock, 10 * MINUTE);
    expect(usersIn(lastBatchOf(parts.queue.batches, 'orders'), 'orders')).not.toContain('a-2');

    await agentState.recordOutcomes(
      [success('orders', 'a-2', parts.clock.now())],
      parts.clock.now(),
    );
    parts.queue.completeAll();
    await advance(parts.clock, 10 * MINUTE);
    expect(usersIn(lastBatchOf(parts.queue.batches, 'orders'), 'orders')).toContain('a-2');
    expect((await agentState.agent('a-2')).find((r) => r.type === 'orders')).toMatchObject({
      breaker: 'closed',
      consecutiveFailures: 0,
    });
  });

  it('records when each pair was last sent', async () => {
    const agentState = new InMemoryAgentStateStore();
    const parts = aScheduler({ agentState, history: 'never' });
    await parts.start();
    await advance(parts.clock, 0);
    const rows = await agentState.agent('a-1');
    expect(rows.find((r) => r.type === 'orders')?.lastEnqueuedAt).toBe(parts.clock.now());
    expect((await agentState.agent('service-account')).map((r) => r.type).sort()).toEqual([
      'prices',
      'products',
    ]);
  });

  it('enqueues nothing while the ERP breaker is open, then one small probe batch after the cool-down', async () => {
    const agentState = new InMemoryAgentStateStore();
    const agents = Array.from({ length: 12 }, (_, i) => `a-${i + 1}`);
    const parts = aScheduler({ agentState, agents, erpProbeSize: 5 });
    const now = parts.clock.now();
    // 30 failures in a row across the fleet: the ERP breaker opens for 5 minutes.
    await agentState.recordOutcomes(
      Array.from({ length: 30 }, (_, i) => failure('customers', agents[i % 12]!, now - 30_000 + i)),
      now,
    );
    expect((await agentState.loadErpBreaker()).state).toBe('open');
    await parts.start();
    await advance(parts.clock, 4 * MINUTE);
    expect(parts.queue.batches).toEqual([]);

    // orders falls due at +10 min, after the cool-down: it sends the probe; customers at +15
    // finds the breaker half open (the probe is out) and sends nothing.
    await advance(parts.clock, 11 * MINUTE);
    const sent = parts.queue.batches.flat();
    expect(sent.filter((job) => job.type === 'orders')).toHaveLength(5);
    expect(sent.filter((job) => job.type !== 'orders')).toEqual([]);
    expect((await agentState.loadErpBreaker()).state).toBe('half_open');
    const skipped = parts.observer.completed.filter((r) => (r.skippedBreaker ?? 0) > 0);
    expect(skipped.map((r) => r.type)).toContain('customers');
  });

  it('sends every job when the breakers cannot be read, and says so', async () => {
    const agentState = new InMemoryAgentStateStore();
    const parts = aScheduler({ agentState });
    await parts.start();
    agentState.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    await advance(parts.clock, 10 * MINUTE);
    expect(usersIn(lastBatchOf(parts.queue.batches, 'orders'), 'orders')).toEqual([
      'a-1',
      'a-2',
      'a-3',
    ]);
  });
});

describe('breakers in manual triggers', () => {
  const build = async () => {
    const agentState = new InMemoryAgentStateStore();
    const parts = aScheduler({ agentState });
    await openPair(agentState, parts.clock.now());
    const trigger = new TriggerSync(parts.agents, parts.queue, parts.clock, { agentState });
    return { ...parts, agentState, trigger };
  };

  it('respects them for every agent, and says how many it skipped', async () => {
    const { trigger, queue } = await build();
    expect(await trigger.execute({ type: 'orders' })).toEqual({
      type: 'orders',
      enqueued: 2,
      deduplicated: 0,
      skippedBreaker: 1,
      bypassedBreaker: false,
      deferredBudget: 0,
    });
    expect(queue.pendingJobs().map((job) => job.userId)).toEqual(['a-1', 'a-3']);
  });

  it("bypasses the agent's own breaker for a trigger of that agent, and records it", async () => {
    const { trigger, queue, agentState, clock } = await build();
    expect(await trigger.execute({ type: 'orders', userId: 'a-2' })).toEqual({
      type: 'orders',
      enqueued: 1,
      deduplicated: 0,
      skippedBreaker: 0,
      bypassedBreaker: true,
      deferredBudget: 0,
    });
    expect(queue.pendingJobs().map((job) => job.userId)).toEqual(['a-2']);
    expect((await agentState.agent('a-2')).find((r) => r.type === 'orders')?.lastEnqueuedAt).toBe(
      clock.now(),
    );
  });
});
