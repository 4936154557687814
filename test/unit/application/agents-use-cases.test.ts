import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/memory/manual-clock.js';
import { GetAgent } from '../../../src/application/get-agent.js';
import { GetErpBreaker } from '../../../src/application/get-erp-breaker.js';
import { ListAgents } from '../../../src/application/list-agents.js';
import { ResetAgent } from '../../../src/application/reset-agent.js';
import { SchedulerError } from '../../../src/domain/errors.js';
import { DEFAULT_INTERVALS, minutesToMs } from '../../../src/domain/interval.js';
import { SERVICE_ACCOUNT, SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import { aPair, AgentStateFixture } from '../../support/agent-state-fixture.js';

const MINUTE = 60_000;
const clock = new ManualClock();
const NOW = clock.now();
const INTERVALS_MS = Object.fromEntries(
  SYNC_TYPES.map((t) => [t, minutesToMs(DEFAULT_INTERVALS[t])]),
) as Record<SyncType, number>;
const scheduler = { getIntervals: () => INTERVALS_MS };

/** a-1: orders open (failed 5 min ago), customers fine; a-2: ddt failed 20 min ago; shared rows. */
function aStore() {
  return new AgentStateFixture([
    aPair('orders', 'a-1', {
      breaker: 'open',
      lastFailedAt: NOW - 5 * MINUTE,
      lastFailureReason: 'ERP login refused',
      consecutiveFailures: 3,
      recentFailures: [NOW - 25 * MINUTE, NOW - 15 * MINUTE, NOW - 5 * MINUTE],
      openUntil: NOW + 115 * MINUTE,
    }),
    aPair('customers', 'a-1', { lastCompletedAt: NOW - MINUTE }),
    aPair('ddt', 'a-2', { lastFailedAt: NOW - 20 * MINUTE, consecutiveFailures: 1 }),
    aPair('products', SERVICE_ACCOUNT, { lastCompletedAt: NOW - 2 * MINUTE }),
    aPair('prices', SERVICE_ACCOUNT, { lastCompletedAt: NOW - 3 * MINUTE }),
  ]);
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SchedulerError);
  return error as SchedulerError;
}

describe('agent use cases', () => {
  describe('ListAgents', () => {
    const listAgents = (store = aStore()) => ({
      store,
      useCase: new ListAgents(store, scheduler, clock),
    });

    it('lists newest failure first with 50 rows by default', async () => {
      const { store, useCase } = listAgents();
      const page = await useCase.execute();
      expect(page.items.map((r) => `${r.type}/${r.userId}`)).toEqual([
        'orders/a-1',
        'ddt/a-2',
        'customers/a-1',
        'products/service-account',
        'prices/service-account',
      ]);
      expect(page.nextCursor).toBeNull();
      expect(store.calls[0]?.args[0]).toEqual({ limit: 50 });
    });

    it('passes type, breaker state, limit and cursor through, accepting the sync- spelling', async () => {
      const { store, useCase } = listAgents();
      const { nextCursor } = await useCase.execute({ limit: 1 });
      await useCase.execute({ type: 'sync-orders', state: 'open', limit: 500, cursor: nextCursor });
      expect(store.calls[1]?.args[0]).toEqual({
        type: 'orders',
        state: 'open',
        limit: 500,
        cursor: nextCursor,
      });
    });

    it("gives the store the scheduler's intervals and the clock's now for 'stale'", async () => {
      const { store, useCase } = listAgents();
      const page = await useCase.execute({ state: 'stale' });
      expect(store.calls[0]?.args[0]).toEqual({
        state: 'stale',
        limit: 50,
        intervalsMs: INTERVALS_MS,
        now: NOW,
      });
      // Never succeeded: stale; succeeded a minute ago: not.
      expect(page.items.map((r) => `${r.type}/${r.userId}`)).toEqual(['orders/a-1', 'ddt/a-2']);
    });

    it.each([
      [{ limit: 0 }, 'limit'],
      [{ limit: 501 }, 'limit'],
      [{ limit: 2.5 }, 'limit'],
      [{ limit: '10' }, 'limit'],
      [{ type: 'payments' }, 'type'],
      [{ state: 'broken' }, 'state'],
      [{ state: 'half-open' }, 'state'],
      [{ cursor: '' }, 'cursor'],
      [{ cursor: 'x'.repeat(201) }, 'cursor'],
      [{ cursor: 7 }, 'cursor'],
    ])('refuses %j naming the field, without asking the store', async (query, field) => {
      const { store, useCase } = listAgents();
      const error = await refusal(useCase.execute(query));
      expect(error.kind).toBe('invalidInput');
      expect(error.details[0]?.field).toBe(field);
      expect(store.calls).toEqual([]);
    });
  });

  describe('GetAgent', () => {
    it("returns the agent's own rows and the shared rows, in sync type order", async () => {
      const rows = await new GetAgent(aStore()).execute('a-1');
      expect(rows.map((r) => `${r.type}/${r.userId}`)).toEqual([
        'orders/a-1',
        'customers/a-1',
        'products/service-account',
        'prices/service-account',
      ]);
    });

    it('does not ask twice when the store already brought the shared rows', async () => {
      const store = aStore();
      const withShared = store.rows.filter((r) => r.userId === SERVICE_ACCOUNT);
      store.agent = async (userId) => [
        ...store.rows.filter((r) => r.userId === userId),
        ...withShared,
      ];
      const rows = await new GetAgent(store).execute('a-2');
      expect(rows.map((r) => r.type)).toEqual(['ddt', 'products', 'prices']);
    });

    it('answers for service-account with the shared rows only', async () => {
      const rows = await new GetAgent(aStore()).execute(SERVICE_ACCOUNT);
      expect(rows.map((r) => r.type)).toEqual(['products', 'prices']);
    });

    it('is not found for an agent without rows of its own', async () => {
      const error = await refusal(new GetAgent(aStore()).execute('ghost'));
      expect(error.kind).toBe('notFound');
      expect(error.message).toBe('Agent ghost has no sync state.');
    });

    it.each(['', 'x'.repeat(201), undefined])('refuses the user id %j', async (userId) => {
      const error = await refusal(new GetAgent(aStore()).execute(userId));
      expect(error.kind).toBe('invalidInput');
      expect(error.details[0]?.field).toBe('userId');
    });
  });

  describe('ResetAgent', () => {
    it("closes the agent's breakers and says how many rows changed", async () => {
      const store = aStore();
      expect(await new ResetAgent(store).execute('a-1')).toEqual({ userId: 'a-1', reset: 1 });
      const orders = store.rows.find((r) => r.type === 'orders' && r.userId === 'a-1');
      expect(orders).toMatchObject({
        breaker: 'closed',
        consecutiveFailures: 0,
        recentFailures: [],
        openUntil: null,
      });
      // What happened stays visible: the last failure and its reason are history, not state.
      expect(orders?.lastFailureReason).toBe('ERP login refused');
    });

    it('is idempotent for a known agent: nothing left to change is 0, not an error', async () => {
      const store = aStore();
      await new ResetAgent(store).execute('a-1');
      expect(await new ResetAgent(store).execute('a-1')).toEqual({ userId: 'a-1', reset: 0 });
    });

    it('is not found for an agent the store has no rows for', async () => {
      const error = await refusal(new ResetAgent(aStore()).execute('ghost'));
      expect(error.kind).toBe('notFound');
      expect(error.message).toBe('Agent ghost has no sync state to reset.');
    });

    it('refuses an empty user id before touching the store', async () => {
      const store = aStore();
      const error = await refusal(new ResetAgent(store).execute(''));
      expect(error.details[0]?.field).toBe('userId');
      expect(store.calls).toEqual([]);
    });
  });

  describe('GetErpBreaker', () => {
    it('reports a closed breaker when nothing was recorded', async () => {
      expect(await new GetErpBreaker(aStore()).execute()).toEqual({
        state: 'closed',
        since: null,
        openUntil: null,
        window: { outcomes: 0, failed: 0 },
      });
    });

    it('summarises the window of an open breaker', async () => {
      const store = aStore();
      const window = [true, false, false, true, false].map((success, i) => ({
        at: NOW - (5 - i) * MINUTE,
        success,
      }));
      store.erp = {
        state: 'open',
        since: NOW - MINUTE,
        openUntil: NOW + 4 * MINUTE,
        window,
        probe: null,
      };
      expect(await new GetErpBreaker(store).execute()).toEqual({
        state: 'open',
        since: NOW - MINUTE,
        openUntil: NOW + 4 * MINUTE,
        window: { outcomes: 5, failed: 3 },
      });
    });
  });
});
