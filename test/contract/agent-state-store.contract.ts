import { describe, expect, it } from 'vitest';
import {
  CLOSED_ERP_BREAKER,
  DEFAULT_ERP_BREAKER_RULES,
  type PairOutcome,
  type PairState,
} from '../../src/domain/breakers.js';
import type { AgentStateStore } from '../../src/domain/ports/agent-state-store.js';
import { SYNC_TYPES, type SyncType } from '../../src/domain/sync-types.js';

export interface AgentStateStoreFixture {
  readonly store: AgentStateStore;
  /** A second handle on the same state (another replica), for races. */
  readonly other: AgentStateStore;
  cleanup(): Promise<void>;
}

export interface AgentStateStoreFactory {
  /** An empty store with the default rules. */
  (): Promise<AgentStateStoreFixture>;
}

export interface FailingStoreFactory {
  /** A store that rejects every call as if its dependency were unreachable. */
  (): Promise<AgentStateStore>;
}

export const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;

const outcome = (
  userId: string,
  success: boolean,
  at: number,
  type: SyncType = 'orders',
  reason: string | null = success ? null : 'ERP answered 503',
): PairOutcome => ({ type, userId, success, at, reason });

const failures = (userId: string, count: number, from = NOW, type: SyncType = 'orders') =>
  Array.from({ length: count }, (_, i) => outcome(userId, false, from + i * MIN, type));

/** a-000 .. a-<count-1>, zero-padded so that every collation sorts them alike. */
const ids = (count: number, from = 0): string[] =>
  Array.from({ length: count }, (_, i) => `a-${String(from + i).padStart(3, '0')}`);

const INTERVALS = { orders: 10, customers: 15, ddt: 20, invoices: 20, products: 30, prices: 60 };
const INTERVALS_MS = Object.fromEntries(
  Object.entries(INTERVALS).map(([type, minutes]) => [type, minutes * MIN]),
) as Record<SyncType, number>;

/** What every AgentStateStore must do. */
export function describeAgentStateStoreContract(
  name: string,
  makeStore: AgentStateStoreFactory,
  makeFailingStore: FailingStoreFactory,
): void {
  describe(name, () => {
    const withStore = async (
      test: (store: AgentStateStore, other: AgentStateStore) => Promise<void>,
    ): Promise<void> => {
      const { store, other, cleanup } = await makeStore();
      try {
        await test(store, other);
      } finally {
        await cleanup();
      }
    };
    const pair = async (store: AgentStateStore, userId: string, type: SyncType = 'orders') =>
      (await store.agent(userId)).find((row) => row.type === type);

    describe('recordEnqueued and recordStarted', () => {
      it('creates closed rows that say when each job was enqueued and started', () =>
        withStore(async (store) => {
          await store.recordEnqueued('orders', ['a-1', 'a-2'], NOW);
          await store.recordStarted([{ type: 'orders', userId: 'a-1', at: NOW + 5 }]);

          expect(await pair(store, 'a-1')).toEqual({
            type: 'orders',
            userId: 'a-1',
            lastEnqueuedAt: NOW,
            lastStartedAt: NOW + 5,
            lastCompletedAt: null,
            lastFailedAt: null,
            lastFailureReason: null,
            consecutiveFailures: 0,
            recentFailures: [],
            breaker: 'closed',
            openUntil: null,
            openPeriodMs: null,
          });
          expect((await pair(store, 'a-2'))?.lastStartedAt).toBeNull();
        }));

      it('never moves a timestamp back, and takes a batch with duplicates', () =>
        withStore(async (store) => {
          await store.recordEnqueued('ddt', ['a-1', 'a-1'], NOW + 10);
          await store.recordEnqueued('ddt', ['a-1'], NOW);
          await store.recordStarted([
            { type: 'ddt', userId: 'a-1', at: NOW + 30 },
            { type: 'ddt', userId: 'a-1', at: NOW + 20 },
          ]);
          expect(await pair(store, 'a-1', 'ddt')).toMatchObject({
            lastEnqueuedAt: NOW + 10,
            lastStartedAt: NOW + 30,
          });
        }));

      it('takes 10,000 agents in one call, and empty batches', () =>
        withStore(async (store) => {
          await store.recordEnqueued('orders', [], NOW);
          await store.recordStarted([]);
          await store.recordEnqueued('orders', ids(10_000), NOW);
          const page = await store.list({ type: 'orders', limit: 500 });
          expect(page.items).toHaveLength(500);
          expect((await store.openCounts()).orders).toBe(0);
        }));

      it('keeps shared types under service-account', () =>
        withStore(async (store) => {
          await store.recordEnqueued('prices', ['service-account'], NOW);
          expect((await store.agent('service-account')).map((row) => row.type)).toEqual(['prices']);
        }));
    });

    describe('recordOutcomes', () => {
      it('applies the pair rules in order: three failures open orders of a-2 for 2 h', () =>
        withStore(async (store) => {
          await store.recordEnqueued('orders', ['a-1', 'a-2'], NOW - MIN);
          const applied = await store.recordOutcomes(
            [outcome('a-1', true, NOW), ...failures('a-2', 3)],
            NOW + 3 * MIN,
          );

          expect(applied.pairsChanged.map((row) => [row.userId, row.breaker])).toEqual([
            ['a-2', 'open'],
          ]);
          expect(await pair(store, 'a-2')).toMatchObject({
            lastEnqueuedAt: NOW - MIN,
            lastFailedAt: NOW + 2 * MIN,
            lastFailureReason: 'ERP answered 503',
            consecutiveFailures: 3,
            recentFailures: [NOW, NOW + MIN, NOW + 2 * MIN],
            breaker: 'open',
            openUntil: NOW + 2 * MIN + 2 * HOUR,
            openPeriodMs: 2 * HOUR,
          });
          expect(await pair(store, 'a-1')).toMatchObject({
            breaker: 'closed',
            lastCompletedAt: NOW,
          });
        }));

      it('folds outcomes of one batch and of successive batches alike', () =>
        withStore(async (store) => {
          await store.recordOutcomes(failures('a-1', 2), NOW + MIN);
          const applied = await store.recordOutcomes(failures('a-1', 1, NOW + 2 * MIN), NOW);
          expect(applied.pairsChanged).toHaveLength(1);
          expect((await pair(store, 'a-1'))?.consecutiveFailures).toBe(3);
        }));

      it('keeps at most 500 characters of a reason', () =>
        withStore(async (store) => {
          await store.recordOutcomes([outcome('a-1', false, NOW, 'ddt', 'é'.repeat(700))], NOW);
          expect((await pair(store, 'a-1', 'ddt'))?.lastFailureReason).toBe('é'.repeat(500));
        }));

      it('closes the breaker when the probe succeeds and re-opens it when it fails', () =>
        withStore(async (store) => {
          await store.recordOutcomes(failures('a-1', 3), NOW);
          const due = NOW + 2 * MIN + 2 * HOUR;
          await store.markProbing('orders', ['a-1']);
          const failed = await store.recordOutcomes([outcome('a-1', false, due + MIN)], due + MIN);
          expect(failed.pairsChanged.map((row) => row.breaker)).toEqual(['open']);
          expect((await pair(store, 'a-1'))?.openUntil).toBe(due + MIN + 2 * HOUR);

          await store.markProbing('orders', ['a-1']);
          const closed = await store.recordOutcomes([outcome('a-1', true, due + 3 * HOUR)], NOW);
          expect(closed.pairsChanged.map((row) => row.breaker)).toEqual(['closed']);
          expect(await pair(store, 'a-1')).toMatchObject({
            breaker: 'closed',
            consecutiveFailures: 0,
            recentFailures: [],
            openUntil: null,
          });
        }));

      it('opens the ERP breaker when half of at least 20 outcomes failed, and reports it once', () =>
        withStore(async (store) => {
          const batch = ids(20).map((id, i) => outcome(id, i >= 10, NOW + i));
          const applied = await store.recordOutcomes(batch, NOW + MIN);
          expect(applied.erpChanged).toBe(true);
          expect(applied.erp).toMatchObject({
            state: 'open',
            since: NOW + MIN,
            openUntil: NOW + MIN + DEFAULT_ERP_BREAKER_RULES.coolDownMs,
          });
          expect(applied.erp.window).toHaveLength(20);
          expect(await store.loadErpBreaker()).toEqual(applied.erp);

          const more = await store.recordOutcomes([outcome('a-1', true, NOW + 30)], NOW + MIN);
          expect(more.erpChanged).toBe(false);
          expect(more.erp.state).toBe('open');
        }));

      it('accepts an empty batch', () =>
        withStore(async (store) => {
          expect(await store.recordOutcomes([], NOW)).toEqual({
            pairsChanged: [],
            erp: CLOSED_ERP_BREAKER,
            erpChanged: false,
          });
        }));
    });

    describe('blockedPairs and markProbing', () => {
      it('blocks open pairs until openUntil, then lists them for a probe; half open stays blocked', () =>
        withStore(async (store) => {
          await store.recordOutcomes(
            [...failures('a-1', 3), ...failures('a-2', 3, NOW + HOUR)],
            NOW,
          );
          await store.recordOutcomes(failures('a-3', 3, NOW, 'ddt'), NOW);
          await store.recordOutcomes(failures('a-4', 2), NOW);
          const a1Due = NOW + 2 * MIN + 2 * HOUR;

          const early = await store.blockedPairs('orders', a1Due - 1);
          expect([...early.open].sort()).toEqual(['a-1', 'a-2']);
          expect([...early.probe]).toEqual([]);

          const due = await store.blockedPairs('orders', a1Due);
          expect([...due.open]).toEqual(['a-2']);
          expect([...due.probe]).toEqual(['a-1']);

          await store.markProbing('orders', ['a-1', 'a-4', 'nobody']);
          const probing = await store.blockedPairs('orders', a1Due + 10 * HOUR);
          expect([...probing.open].sort()).toEqual(['a-1']);
          expect([...probing.probe]).toEqual(['a-2']);
          expect((await pair(store, 'a-4'))?.breaker).toBe('closed');
          expect((await store.agent('nobody')).length).toBe(0);
        }));
    });

    describe('lastSuccesses', () => {
      it('gives when each pair of the type last succeeded, and only pairs that ever did', () =>
        withStore(async (store) => {
          await store.recordEnqueued('orders', ['a-1', 'a-2', 'a-3', 'a-4'], NOW - HOUR);
          await store.recordOutcomes(
            [
              outcome('a-1', true, NOW),
              outcome('a-1', true, NOW + MIN),
              outcome('a-2', false, NOW),
              outcome('a-3', true, NOW - HOUR),
              outcome('a-3', false, NOW), // a later failure keeps the last success
              outcome('a-5', true, NOW, 'customers'),
            ],
            NOW + MIN,
          );
          expect(await store.lastSuccesses('orders')).toEqual(
            new Map([
              ['a-1', NOW + MIN],
              ['a-3', NOW - HOUR],
            ]),
          );
          expect(await store.lastSuccesses('customers')).toEqual(new Map([['a-5', NOW]]));
          expect(await store.lastSuccesses('ddt')).toEqual(new Map());
        }));

      it('is not moved back by a late success, nor cleared by a reset', () =>
        withStore(async (store) => {
          await store.recordOutcomes([outcome('a-1', true, NOW)], NOW);
          await store.recordOutcomes([outcome('a-1', true, NOW - MIN)], NOW);
          await store.recordOutcomes(failures('a-1', 3, NOW + MIN), NOW + 3 * MIN);
          await store.reset('a-1');
          expect(await store.lastSuccesses('orders')).toEqual(new Map([['a-1', NOW]]));
        }));

      it('keeps shared types under service-account, and answers 1,000 agents in one call', () =>
        withStore(async (store) => {
          await store.recordOutcomes([outcome('service-account', true, NOW, 'prices')], NOW);
          expect(await store.lastSuccesses('prices')).toEqual(new Map([['service-account', NOW]]));
          await store.recordOutcomes(
            ids(1000).map((id, i) => outcome(id, true, NOW + i, 'invoices')),
            NOW + HOUR,
          );
          const successes = await store.lastSuccesses('invoices');
          expect(successes.size).toBe(1000);
          expect(successes.get('a-999')).toBe(NOW + 999);
        }));
    });

    describe('list', () => {
      it('pages 250 rows by 100 without duplicates or gaps, newest failure first', () =>
        withStore(async (store) => {
          const agents = ids(250);
          await store.recordEnqueued('orders', agents.slice(0, 100), NOW);
          // 150 failed rows, with equal failure times in places, across two types.
          await store.recordOutcomes(
            agents
              .slice(100)
              .map((id, i) => outcome(id, false, NOW + (i % 7) * MIN, i % 2 ? 'ddt' : 'orders')),
            NOW,
          );

          const seen: PairState[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await store.list({ limit: 100, ...(cursor ? { cursor } : {}) });
            seen.push(...page.items);
            cursor = page.nextCursor ?? undefined;
            pages++;
          } while (cursor);

          expect(pages).toBe(3);
          expect(seen).toHaveLength(250);
          expect(new Set(seen.map((row) => `${row.type}/${row.userId}`)).size).toBe(250);
          const failedAt = seen.map((row) => row.lastFailedAt ?? -1);
          expect(failedAt).toEqual([...failedAt].sort((a, b) => b - a));
          const sameTime = seen.filter((row) => row.lastFailedAt === NOW);
          const keys = sameTime.map((row) => [row.type, row.userId].join(' '));
          expect(keys).toEqual([...keys].sort());
          expect(seen.slice(150).every((row) => row.lastFailedAt === null)).toBe(true);
          const nullKeys = seen.slice(150).map((row) => row.userId);
          expect(nullKeys).toEqual([...nullKeys].sort());
        }));

      it('says there is no next page when the last one is exactly full', () =>
        withStore(async (store) => {
          await store.recordEnqueued('orders', ids(10), NOW);
          const first = await store.list({ limit: 5 });
          expect(first.nextCursor).not.toBeNull();
          const second = await store.list({ limit: 5, cursor: first.nextCursor ?? '' });
          expect(second.items).toHaveLength(5);
          expect(second.nextCursor).toBeNull();
        }));

      it('filters by type and by breaker state', () =>
        withStore(async (store) => {
          await store.recordEnqueued('orders', ['a-1', 'a-2', 'a-3'], NOW);
          await store.recordEnqueued('customers', ['a-1'], NOW);
          await store.recordOutcomes([...failures('a-1', 3), ...failures('a-2', 3)], NOW);
          await store.markProbing('orders', ['a-2']);
          await store.recordOutcomes(failures('a-1', 3, NOW, 'customers'), NOW);

          const users = async (query: Parameters<AgentStateStore['list']>[0]) =>
            (await store.list(query)).items.map((row) => `${row.type}/${row.userId}`).sort();
          expect(await users({ limit: 10, type: 'orders' })).toEqual([
            'orders/a-1',
            'orders/a-2',
            'orders/a-3',
          ]);
          expect(await users({ limit: 10, state: 'open' })).toEqual([
            'customers/a-1',
            'orders/a-1',
          ]);
          expect(await users({ limit: 10, state: 'open', type: 'orders' })).toEqual(['orders/a-1']);
          expect(await users({ limit: 10, state: 'half_open' })).toEqual(['orders/a-2']);
          expect(await users({ limit: 10, state: 'closed' })).toEqual(['orders/a-3']);
        }));

      it("lists as 'stale' the pairs without a success for more than two intervals of their type", () =>
        withStore(async (store) => {
          await store.recordOutcomes(
            [
              outcome('fresh', true, NOW - 19 * MIN), // orders: 2 × 10 min
              outcome('old', true, NOW - 21 * MIN),
              outcome('slow', true, NOW - 21 * MIN, 'ddt'), // ddt: 2 × 20 min
              outcome('never', false, NOW),
            ],
            NOW,
          );
          const page = await store.list({
            limit: 10,
            state: 'stale',
            intervalsMs: INTERVALS_MS,
            now: NOW,
          });
          expect(page.items.map((row) => `${row.type}/${row.userId}`).sort()).toEqual([
            'orders/never',
            'orders/old',
          ]);
          const ddt = await store.list({
            limit: 10,
            state: 'stale',
            type: 'ddt',
            intervalsMs: INTERVALS_MS,
            now: NOW + 30 * MIN,
          });
          expect(ddt.items.map((row) => row.userId)).toEqual(['slow']);
        }));

      it("refuses 'stale' without the intervals, and a cursor it did not hand out", () =>
        withStore(async (store) => {
          await expect(store.list({ limit: 10, state: 'stale' })).rejects.toMatchObject({
            kind: 'invalidInput',
          });
          await expect(store.list({ limit: 10, cursor: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject(
            { kind: 'invalidInput' },
          );
        }));

      it('returns an empty page when there is nothing', () =>
        withStore(async (store) => {
          expect(await store.list({ limit: 100 })).toEqual({ items: [], nextCursor: null });
        }));
    });

    describe('agent, reset and openCounts', () => {
      it("gives every row of one agent, and nobody else's", () =>
        withStore(async (store) => {
          for (const type of ['orders', 'customers', 'ddt'] as const) {
            await store.recordEnqueued(type, ['a-1', 'a-10'], NOW);
          }
          const rows = await store.agent('a-1');
          expect(rows.map((row) => row.type).sort()).toEqual(['customers', 'ddt', 'orders']);
          expect(rows.every((row) => row.userId === 'a-1')).toBe(true);
          expect(await store.agent('a-2')).toEqual([]);
        }));

      it('closes every breaker of the agent, clears its counts and says how many rows changed', () =>
        withStore(async (store) => {
          await store.recordOutcomes(
            [...failures('a-1', 3), ...failures('a-1', 1, NOW, 'ddt'), ...failures('a-2', 3)],
            NOW,
          );
          await store.recordEnqueued('customers', ['a-1'], NOW);

          expect(await store.reset('a-1')).toBe(2);

          expect(await pair(store, 'a-1')).toMatchObject({
            breaker: 'closed',
            openUntil: null,
            consecutiveFailures: 0,
            recentFailures: [],
            lastFailedAt: NOW + 2 * MIN,
            lastFailureReason: 'ERP answered 503',
          });
          expect((await pair(store, 'a-1', 'ddt'))?.consecutiveFailures).toBe(0);
          expect((await pair(store, 'a-2'))?.breaker).toBe('open');
          expect(await store.reset('a-1')).toBe(0);
          expect(await store.reset('nobody')).toBe(0);
        }));

      it('counts open and half-open pair breakers per type, every type listed', () =>
        withStore(async (store) => {
          await store.recordOutcomes(
            [
              ...failures('a-1', 3),
              ...failures('a-2', 3),
              ...failures('a-3', 2),
              ...failures('service-account', 3, NOW, 'prices'),
            ],
            NOW,
          );
          await store.markProbing('orders', ['a-2']);
          const counts = await store.openCounts();
          expect(Object.keys(counts).sort()).toEqual([...SYNC_TYPES].sort());
          expect(counts).toMatchObject({ orders: 2, prices: 1, customers: 0, ddt: 0 });
        }));
    });

    describe('the ERP breaker', () => {
      const openIt = (store: AgentStateStore) =>
        store.recordOutcomes(
          ids(20).map((id, i) => outcome(id, false, NOW + i)),
          NOW,
        );

      it('starts closed', () =>
        withStore(async (store) => {
          expect(await store.loadErpBreaker()).toEqual(CLOSED_ERP_BREAKER);
          expect(await store.startErpProbe(NOW, 5)).toBe(false);
        }));

      it('starts no probe before the cool down is over', () =>
        withStore(async (store) => {
          await openIt(store);
          expect(await store.startErpProbe(NOW + 5 * MIN - 1, 5)).toBe(false);
          expect((await store.loadErpBreaker()).state).toBe('open');
        }));

      it('starts exactly one probe when two ticks race for it', () =>
        withStore(async (store, other) => {
          await openIt(store);
          const due = NOW + 5 * MIN;
          const results = await Promise.all([
            store.startErpProbe(due, 5),
            other.startErpProbe(due, 5),
          ]);
          expect(results.filter(Boolean)).toHaveLength(1);
          expect(await other.loadErpBreaker()).toMatchObject({
            state: 'half_open',
            since: due,
            probe: { sent: 5, succeeded: 0, failed: 0 },
          });
        }));

      it('closes when most of the probe succeeds', () =>
        withStore(async (store) => {
          await openIt(store);
          const due = NOW + 5 * MIN;
          await store.startErpProbe(due, 5);
          const applied = await store.recordOutcomes(
            ids(3).map((id, i) => outcome(id, true, due + i)),
            due + MIN,
          );
          expect(applied.erpChanged).toBe(true);
          expect(applied.erp).toEqual({ ...CLOSED_ERP_BREAKER, since: due + MIN });
        }));
    });

    describe('when unreachable', () => {
      it('rejects every call as unavailable', async () => {
        const store = await makeFailingStore();
        const calls: (() => Promise<unknown>)[] = [
          () => store.recordEnqueued('orders', ['a-1'], NOW),
          () => store.recordStarted([{ type: 'orders', userId: 'a-1', at: NOW }]),
          () => store.recordOutcomes([outcome('a-1', true, NOW)], NOW),
          () => store.blockedPairs('orders', NOW),
          () => store.markProbing('orders', ['a-1']),
          () => store.lastSuccesses('orders'),
          () => store.list({ limit: 10 }),
          () => store.agent('a-1'),
          () => store.reset('a-1'),
          () => store.openCounts(),
          () => store.loadErpBreaker(),
          () => store.startErpProbe(NOW, 5),
        ];
        for (const call of calls) {
          await expect(call()).rejects.toMatchObject({ kind: 'unavailable' });
        }
      });
    });
  });
}
