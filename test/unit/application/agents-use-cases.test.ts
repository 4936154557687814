import { describe, expect, it } from 'vitest';
import { InMemoryAgentStateStore } from '../../../src/adapters/memory/in-memory-agent-state-store.js';
import { ManualClock } from '../../../src/adapters/memory/manual-clock.js';
import { GetAgent } from '../../../src/application/get-agent.js';
import { GetErpBreaker } from '../../../src/application/get-erp-breaker.js';
import { ListAgents } from '../../../src/application/list-agents.js';
import { ResetAgent } from '../../../src/application/reset-agent.js';
import { SchedulerError } from '../../../src/domain/errors.js';
import { DEFAULT_INTERVALS, minutesToMs } from '../../../src/domain/interval.js';
import { SERVICE_ACCOUNT, SYNC_TYPES, type SyncType } from '../../../src/domain/sync-types.js';
import { aPair } from '../../support/pair-state.js';

const MINUTE = 60_000;
const clock = new ManualClock();
const NOW = clock.now();
const INTERVALS_MS = Object.fromEntries(
  SYNC_TYPES.map((t) => [t, minutesToMs(DEFAULT_INTERVALS[t])]),
) as Record<SyncType, number>;
const scheduler = { getIntervals: () => INTERVALS_MS };

/** a-1: orders open (failed 5 min ago), customers fine; a-2: ddt failed 20 min ago; shared rows. */
function aStore(): InMemoryAgentStateStore {
  const store = new InMemoryAgentStateStore();
  store.seed([
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
  return store;
}

const keys = (rows: readonly { type: string; userId: string }[]) =>
  rows.map((r) => `${r.type}/${r.userId}`);
/** Every row the store holds, through its port. */
const everyRow = async (store: InMemoryAgentStateStore) => (await store.list({ limit: 500 })).items;
const unreachable = () => new Error('connect ECONNREFUSED 127.0.0.1:5432');

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
    const listAgents = (store = aStore(), at = clock, intervals = scheduler) => ({
      store,
      useCase: new ListAgents(store, intervals, at),
    });

    it('lists newest failure first', async () => {
      const { useCase } = listAgents();
      const page = await useCase.execute();
      // Never-failed rows last, then by type and agent as the store orders them (by name).
      expect(keys(page.items)).toEqual([
        'orders/a-1',
        'ddt/a-2',
        'customers/a-1',
        'prices/service-account',
        'products/service-account',
      ]);
      expect(page.nextCursor).toBeNull();
    });

    it('gives 50 rows a page by default', async () => {
      const store = aStore();
      store.seed(Array.from({ length: 60 }, (_, i) => aPair('invoices', `b-${i}`)));
      const { useCase } = listAgents(store);
      const first = await useCase.execute();
      expect(first.items).toHaveLength(50);
      expect(first.nextCursor).not.toBeNull();
      const rest = await useCase.execute({ cursor: first.nextCursor });
      expect(rest.items).toHaveLength(15);
      expect(rest.nextCursor).toBeNull();
    });

    it('passes type, breaker state, limit and cursor through, accepting the sync- spelling', async () => {
      const store = aStore();
      // Open rows older than a-1's failure, of orders and of another type.
      store.seed([
        aPair('orders', 'a-4', { breaker: 'open', lastFailedAt: NOW - 30 * MINUTE }),
        aPair('customers', 'a-5', { breaker: 'open', lastFailedAt: NOW - 40 * MINUTE }),
      ]);
      const { useCase } = listAgents(store);
      const { items, nextCursor } = await useCase.execute({ limit: 1 });
      expect(keys(items)).toEqual(['orders/a-1']);
      const rest = await useCase.execute({
        type: 'sync-orders',
        state: 'open',
        limit: 500,
        cursor: nextCursor,
      });
      expect(keys(rest.items)).toEqual(['orders/a-4']);
      const one = await useCase.execute({ type: 'orders', state: 'open', limit: 1 });
      expect(keys(one.items)).toEqual(['orders/a-1']);
      expect(one.nextCursor).not.toBeNull();
    });

    it("lists as 'stale' the rows without a success for over two intervals (or never)", async () => {
      const { useCase } = listAgents();
      const page = await useCase.execute({ state: 'stale' });
      // Never succeeded: stale; succeeded a minute ago: not.
      expect(keys(page.items)).toEqual(['orders/a-1', 'ddt/a-2']);
    });

    it("judges 'stale' by the scheduler's intervals and the clock's now", async () => {
      const store = aStore();
      // orders every 10 min: 25 min without a success is stale; every 15 min it is not.
      store.seed([aPair('orders', 'a-4', { lastCompletedAt: NOW - 25 * MINUTE })]);
      const stale = async (at: ManualClock, intervals: Record<SyncType, number>) =>
        keys(
          (
            await listAgents(store, at, { getIntervals: () => intervals }).useCase.execute({
              state: 'stale',
              type: 'orders',
            })
          ).items,
        );
      expect(await stale(new ManualClock(NOW), INTERVALS_MS)).toEqual(['orders/a-1', 'orders/a-4']);
      const slower = { ...INTERVALS_MS, orders: 15 * MINUTE };
      expect(await stale(new ManualClock(NOW), slower)).toEqual(['orders/a-1']);
      // 6 min later, 31 min without a success is over 2 × 15 min.
      expect(await stale(new ManualClock(NOW + 6 * MINUTE), slower)).toEqual([
        'orders/a-1',
        'orders/a-4',
      ]);
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
    ])('refuses %j naming the field, before the store is asked', async (query, field) => {
      const { store, useCase } = listAgents();
      // Even with the store down, the answer is the refusal of the input, not a 503.
      store.failWith(unreachable());
      const error = await refusal(useCase.execute(query));
      expect(error.kind).toBe('invalidInput');
      expect(error.details[0]?.field).toBe(field);
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

    it("gives each shared type once, its service-account row, whatever the agent's id holds", async () => {
      const store = aStore();
      // A shared-type row under an agent's own id is not the agent's: shared rows are the
      // service-account's.
      store.seed([aPair('products', 'a-2', { lastCompletedAt: NOW - 90 * MINUTE })]);
      const rows = await new GetAgent(store).execute('a-2');
      expect(keys(rows)).toEqual(['ddt/a-2', 'products/service-account', 'prices/service-account']);
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
      const orders = (await store.agent('a-1')).find((r) => r.type === 'orders');
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

    it('refuses an empty user id and leaves the store unchanged', async () => {
      const store = aStore();
      // Were '' let through, the store would close this breaker.
      store.seed([aPair('orders', '', { breaker: 'open', consecutiveFailures: 3 })]);
      const before = await everyRow(store);
      const error = await refusal(new ResetAgent(store).execute(''));
      expect(error.kind).toBe('invalidInput');
      expect(error.details[0]?.field).toBe('userId');
      expect(await everyRow(store)).toEqual(before);
      expect((await store.agent(''))[0]?.breaker).toBe('open');
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
      store.seedErp({
        state: 'open',
        since: NOW - MINUTE,
        openUntil: NOW + 4 * MINUTE,
        window,
        probe: null,
      });
      expect(await new GetErpBreaker(store).execute()).toEqual({
        state: 'open',
        since: NOW - MINUTE,
        openUntil: NOW + 4 * MINUTE,
        window: { outcomes: 5, failed: 3 },
      });
    });
  });
});
