import { describe, expect, it } from 'vitest';
import type {
  ChartSlots,
  SyncEvent,
  SyncHistory,
  TickDecision,
} from '../../src/domain/ports/sync-history.js';
import { SYNC_TYPES, type SyncType } from '../../src/domain/sync-types.js';

export interface SyncHistoryRetentionOptions {
  readonly maxPerType: number;
  readonly maxAgeDays: number;
  /** The chart counts' bucket. */
  readonly minuteMs: number;
  readonly now: () => number;
}

export interface SyncHistoryFixture {
  readonly history: SyncHistory;
  cleanup(): Promise<void>;
}

export const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const SECOND = 1_000;
const DAY = 86_400_000;

/** A successful orders sync of a-1 that finished `secondsAgo` before NOW. */
function anEvent(overrides: Partial<SyncEvent> & { secondsAgo?: number } = {}): SyncEvent {
  const { secondsAgo = 0, ...rest } = overrides;
  return {
    jobId: `job-${secondsAgo}`,
    type: 'orders',
    userId: 'a-1',
    success: true,
    finishedAt: NOW - secondsAgo * SECOND,
    durationMs: 1_250,
    error: null,
    ...rest,
  };
}

/** 3 orders jobs still pending at a tick `secondsAgo` before NOW. */
function aDecision(overrides: Partial<TickDecision> & { secondsAgo?: number } = {}): TickDecision {
  const { secondsAgo = 0, ...rest } = overrides;
  return {
    type: 'orders',
    at: NOW - secondsAgo * SECOND,
    class: 'deduplicated',
    count: 3,
    ...rest,
  };
}

const counts = (decisions: readonly TickDecision[]): number[] =>
  decisions.map((decision) => decision.count);

const jobIds = (events: readonly SyncEvent[]): string[] => events.map((event) => event.jobId);

/**
 * What every SyncHistory must do; `makeHistory` hands out an empty one with the given
 * retention (defaults: 500 per type, 7 days, measured from NOW, and a scheduler minute of one
 * second, so that the chart counts' buckets are seconds).
 */
export function describeSyncHistoryContract(
  name: string,
  makeHistory: (retention: SyncHistoryRetentionOptions) => Promise<SyncHistoryFixture>,
): void {
  describe(name, () => {
    const withHistory = async (
      test: (history: SyncHistory) => Promise<void>,
      retention: Partial<SyncHistoryRetentionOptions> = {},
    ): Promise<void> => {
      const { history, cleanup } = await makeHistory({
        maxPerType: 500,
        maxAgeDays: 7,
        minuteMs: SECOND,
        now: () => NOW,
        ...retention,
      });
      try {
        await test(history);
      } finally {
        await cleanup();
      }
    };
    const recordAll = async (history: SyncHistory, events: SyncEvent[]): Promise<void> => {
      for (const event of events) await history.record(event);
    };

    it('lists all six types, each empty, when nothing was recorded', () =>
      withHistory(async (history) => {
        const recent = await history.recent(10);
        expect(Object.keys(recent).sort()).toEqual([...SYNC_TYPES].sort());
        for (const type of SYNC_TYPES) expect(recent[type]).toEqual([]);
      }));

    it('reads back a failed event whole, under its own type only', () =>
      withHistory(async (history) => {
        const failed = anEvent({
          jobId: 'job-42',
          type: 'ddt',
          userId: 'a-7',
          success: false,
          durationMs: 30_017,
          error: 'ERP timed out',
        });
        await history.record(failed);
        const recent = await history.recent(10);
        expect(recent.ddt).toEqual([failed]);
        expect(recent.orders).toEqual([]);
      }));

    it('keeps a missing duration and error as null', () =>
      withHistory(async (history) => {
        await history.record(anEvent({ type: 'prices', durationMs: null }));
        expect((await history.recent(1)).prices[0]).toMatchObject({
          durationMs: null,
          error: null,
        });
      }));

    it('rounds a fractional duration to the millisecond', () =>
      withHistory(async (history) => {
        await history.record(anEvent({ durationMs: 812.6 }));
        expect((await history.recent(1)).orders[0]?.durationMs).toBe(813);
      }));

    it('records the same outcome once, however many replicas report it', () =>
      withHistory(async (history) => {
        const event = anEvent({ jobId: 'job-1' });
        await Promise.all([history.record(event), history.record(event)]);
        await history.record({ ...event, durationMs: 99 });
        expect((await history.recent(10)).orders).toEqual([event]);
      }));

    it('records a retried job (same id, later finish) as another event', () =>
      withHistory(async (history) => {
        await history.record(anEvent({ jobId: 'job-1', secondsAgo: 60, success: false }));
        await history.record(anEvent({ jobId: 'job-1', secondsAgo: 0 }));
        const orders = (await history.recent(10)).orders;
        expect(orders.map((event) => event.success)).toEqual([true, false]);
      }));

    it('lists newest first, whatever the order of recording', () =>
      withHistory(async (history) => {
        await recordAll(history, [
          anEvent({ jobId: 'b', secondsAgo: 20 }),
          anEvent({ jobId: 'a', secondsAgo: 30 }),
          anEvent({ jobId: 'c', secondsAgo: 10 }),
        ]);
        expect(jobIds((await history.recent(10)).orders)).toEqual(['c', 'b', 'a']);
      }));

    it('returns the newest `limit` events of each type, each type counted apart', () =>
      withHistory(async (history) => {
        const seconds = [50, 40, 30, 20, 10];
        await recordAll(history, [
          ...seconds.map((s) => anEvent({ jobId: `o-${s}`, secondsAgo: s })),
          ...seconds.map((s) => anEvent({ jobId: `p-${s}`, type: 'products', secondsAgo: s })),
          anEvent({ jobId: 'c-1', type: 'customers' }),
        ]);
        const recent = await history.recent(2);
        expect(jobIds(recent.orders)).toEqual(['o-10', 'o-20']);
        expect(jobIds(recent.products)).toEqual(['p-10', 'p-20']);
        expect(jobIds(recent.customers)).toEqual(['c-1']);
      }));

    it('returns empty lists for a limit of zero', () =>
      withHistory(async (history) => {
        await history.record(anEvent());
        expect((await history.recent(0)).orders).toEqual([]);
      }));

    describe('recordMany', () => {
      it('records a whole batch, read back like single records', () =>
        withHistory(async (history) => {
          const events = [
            anEvent({ jobId: 'o-1', secondsAgo: 3 }),
            anEvent({ jobId: 'o-2', secondsAgo: 2, success: false, error: 'ERP timed out' }),
            anEvent({ jobId: 'p-1', type: 'prices', userId: 'service-account', durationMs: null }),
          ];

          await history.recordMany(events);

          const recent = await history.recent(10);
          expect(recent.orders).toEqual([events[1], events[0]]);
          expect(recent.prices).toEqual([events[2]]);
        }));

      it('skips outcomes already recorded and duplicates inside the batch', () =>
        withHistory(async (history) => {
          const known = anEvent({ jobId: 'job-1', secondsAgo: 5 });
          await history.record(known);
          const fresh = anEvent({ jobId: 'job-2', secondsAgo: 1 });

          await history.recordMany([{ ...known, durationMs: 99 }, fresh, fresh]);
          await history.recordMany([fresh]); // a replay after a crash

          expect((await history.recent(10)).orders).toEqual([fresh, known]);
        }));

      it('resolves with the events it inserted: each new outcome once, in batch order', () =>
        withHistory(async (history) => {
          const known = anEvent({ jobId: 'job-1', secondsAgo: 5 });
          await history.record(known);
          const first = anEvent({ jobId: 'job-2', secondsAgo: 2 });
          const second = anEvent({ jobId: 'job-3', secondsAgo: 1, success: false, error: 'x' });
          const retried = anEvent({ jobId: 'job-1', secondsAgo: 0 }); // same id, later finish

          expect(await history.recordMany([known, first, second, first, retried])).toEqual([
            first,
            second,
            retried,
          ]);
          expect(await history.recordMany([first, second])).toEqual([]); // a replay
          expect(await history.recordMany([])).toEqual([]);
        }));

      it('counts an outcome once in the charts, however often and however batched it comes', () =>
        withHistory(async (history) => {
          const done = anEvent({ jobId: 'job-1', secondsAgo: 5 });
          const failed = anEvent({ jobId: 'job-2', secondsAgo: 5, success: false, error: 'x' });
          const retried = anEvent({ jobId: 'job-2', secondsAgo: 4 }); // same id, later finish

          await history.recordMany([done, failed, done, failed]);
          await history.recordMany([failed, done, retried]); // a replay after a crash
          await Promise.all([history.record(retried), history.record(done)]);

          const { slots } = await history.chartSlots('orders', NOW - 60 * SECOND, NOW, 60 * SECOND);
          expect(slots[0]).toMatchObject({ completed: 2, failed: 1 });
        }));

      it('rounds fractional durations and accepts an empty batch', () =>
        withHistory(async (history) => {
          await history.recordMany([]);
          await history.recordMany([anEvent({ durationMs: 812.4 })]);
          expect((await history.recent(10)).orders.map((event) => event.durationMs)).toEqual([812]);
        }));

      it('records a large batch in one call', () =>
        withHistory(async (history) => {
          const events = Array.from({ length: 2_000 }, (_, i) =>
            anEvent({ jobId: `job-${i}`, userId: `a-${i}`, secondsAgo: i % 60 }),
          );

          await history.recordMany(events);

          expect((await history.recent(2_000)).orders).toHaveLength(2_000);
        }));
    });

    describe('decisions', () => {
      it('lists all six types, each empty, when no tick decided anything', () =>
        withHistory(async (history) => {
          const recent = await history.recentDecisions(10);
          expect(Object.keys(recent).sort()).toEqual([...SYNC_TYPES].sort());
          for (const type of SYNC_TYPES) expect(recent[type]).toEqual([]);
        }));

      it("reads a tick's decisions back whole, under their own type only", () =>
        withHistory(async (history) => {
          const deduplicated = aDecision({ type: 'ddt', count: 9_998 });
          const skipped = aDecision({ type: 'ddt', class: 'skipped_breaker', count: 2 });

          await history.recordDecisions([deduplicated, skipped]);

          const recent = await history.recentDecisions(10);
          expect(recent.ddt).toEqual([skipped, deduplicated]);
          expect(recent.orders).toEqual([]);
          expect((await history.recent(10)).ddt).toEqual([]); // not job outcomes
        }));

      it('accepts every class, and lists all but released', () =>
        withHistory(async (history) => {
          const classes = [
            'released',
            'deduplicated',
            'skipped_breaker',
            'skipped_window',
            'deferred_budget',
          ] as const;
          await history.recordDecisions(
            classes.map((decisionClass, i) => aDecision({ class: decisionClass, secondsAgo: i })),
          );
          const recent = await history.recentDecisions(10);
          expect(recent.orders.map((decision) => decision.class)).toEqual(classes.slice(1));
        }));

      it('charts released but never lists it, so it cannot push the others out of retention', () =>
        withHistory(
          async (history) => {
            const skipped = aDecision({ class: 'skipped_breaker', count: 2, secondsAgo: 30 });
            await history.recordDecisions([skipped]);
            for (let pass = 0; pass < 5; pass++) {
              await history.recordDecisions([
                aDecision({ class: 'released', count: 10, secondsAgo: 20 - pass }),
              ]);
            }
            await history.prune();

            expect((await history.recentDecisions(10)).orders).toEqual([skipped]);
            const { slots } = await history.chartSlots(
              'orders',
              NOW - 60 * SECOND,
              NOW,
              60 * SECOND,
            );
            expect(slots[0]).toMatchObject({ released: 50, skippedBreaker: 2 });
          },
          { maxPerType: 3 },
        ));

      it('lists the newest `limit` of each type, newest first, and none for a limit of zero', () =>
        withHistory(async (history) => {
          await history.recordDecisions([aDecision({ secondsAgo: 20, count: 20 })]);
          await history.recordDecisions([aDecision({ secondsAgo: 10, count: 10 })]);
          await history.recordDecisions([aDecision({ secondsAgo: 30, count: 30 })]);
          await history.recordDecisions([aDecision({ type: 'prices', count: 1 })]);

          const recent = await history.recentDecisions(2);
          expect(counts(recent.orders)).toEqual([10, 20]);
          expect(counts(recent.prices)).toEqual([1]);
          expect((await history.recentDecisions(0)).orders).toEqual([]);
        }));

      it('accepts an empty batch', () =>
        withHistory(async (history) => {
          await history.recordDecisions([]);
          expect((await history.recentDecisions(10)).orders).toEqual([]);
        }));

      it('are pruned with the same bounds as the events, counted in what went', () =>
        withHistory(
          async (history) => {
            await history.recordDecisions(
              [1, 2, 3, 4].map((s) => aDecision({ secondsAgo: s, count: s })),
            );
            await history.recordDecisions([
              aDecision({ type: 'prices', secondsAgo: (2 * DAY) / SECOND + 1 }),
            ]);
            await history.record(anEvent({ jobId: 'old', secondsAgo: (2 * DAY) / SECOND + 1 }));

            // One over the count, one too old, one event, and the two old ones' chart counts.
            expect(await history.prune()).toBe(5);

            const recent = await history.recentDecisions(10);
            expect(counts(recent.orders)).toEqual([1, 2, 3]);
            expect(recent.prices).toEqual([]);
            expect((await history.recent(10)).orders).toEqual([]);
          },
          { maxPerType: 3, maxAgeDays: 2 },
        ));
    });

    describe('chartSlots', () => {
      const MINUTE = 60_000;
      /** Ten-minute slots; the range is the hour before NOW, NOW itself in the last slot. */
      const SLOT = 10 * MINUTE;
      const FROM = NOW - 60 * MINUTE;
      const minutesAgo = (m: number) => (m * MINUTE) / SECOND;
      const emptySlot = (start: number) => ({
        start,
        released: 0,
        deduplicated: 0,
        skippedBreaker: 0,
        skippedWindow: 0,
        deferredBudget: 0,
        completed: 0,
        failed: 0,
      });

      it('has one zeroed slot per step up to the one holding `to`, oldest first', () =>
        withHistory(async (history) => {
          const { slots, historyFrom } = await history.chartSlots('orders', FROM, NOW, SLOT);
          expect(slots).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => emptySlot(FROM + i * SLOT)));
          expect(historyFrom).toBeNull();
          const partial = await history.chartSlots('orders', FROM, NOW - 1, SLOT);
          expect(partial.slots).toHaveLength(6);
          expect((await history.chartSlots('orders', NOW, FROM, SLOT)).slots).toEqual([]);
        }));

      it("counts the type's outcomes and decisions into the slot each happened in", () =>
        withHistory(async (history) => {
          await history.recordMany([
            anEvent({ jobId: 'a', secondsAgo: minutesAgo(55) }),
            anEvent({ jobId: 'b', secondsAgo: minutesAgo(52), success: false, error: 'x' }),
            anEvent({ jobId: 'c', secondsAgo: minutesAgo(51) }),
            anEvent({ jobId: 'd', secondsAgo: minutesAgo(5) }),
            anEvent({ jobId: 'e', secondsAgo: 0, success: false, error: 'y' }),
            anEvent({ jobId: 'ddt', type: 'ddt', secondsAgo: minutesAgo(55) }),
            anEvent({ jobId: 'old', secondsAgo: minutesAgo(61) }),
          ]);
          await history.recordDecisions([
            aDecision({ class: 'released', count: 40, secondsAgo: minutesAgo(58) }),
            aDecision({ class: 'deduplicated', count: 2, secondsAgo: minutesAgo(58) }),
            aDecision({ class: 'skipped_breaker', count: 1, secondsAgo: minutesAgo(58) }),
            aDecision({ class: 'released', count: 10, secondsAgo: minutesAgo(51) }),
            aDecision({ class: 'deferred_budget', count: 7, secondsAgo: minutesAgo(48) }),
            aDecision({ class: 'skipped_window', count: 9, secondsAgo: minutesAgo(28) }),
            aDecision({ type: 'ddt', class: 'released', count: 99, secondsAgo: minutesAgo(58) }),
            aDecision({ class: 'released', count: 99, secondsAgo: minutesAgo(61) }),
          ]);

          const { slots } = await history.chartSlots('orders', FROM, NOW, SLOT);

          expect(slots).toEqual([
            {
              ...emptySlot(FROM),
              released: 50,
              deduplicated: 2,
              skippedBreaker: 1,
              completed: 2,
              failed: 1,
            },
            { ...emptySlot(FROM + SLOT), deferredBudget: 7 },
            emptySlot(FROM + 2 * SLOT),
            { ...emptySlot(FROM + 3 * SLOT), skippedWindow: 9 },
            emptySlot(FROM + 4 * SLOT),
            { ...emptySlot(FROM + 5 * SLOT), completed: 1 },
            { ...emptySlot(NOW), failed: 1 },
          ]);
        }));

      it('counts per scheduler minute: a whole bucket in the slot its start falls in', () =>
        withHistory(async (history) => {
          const boundary = FROM + SLOT;
          await history.recordMany([
            anEvent({ jobId: 'at', finishedAt: boundary }),
            anEvent({ jobId: 'end-of-bucket', finishedAt: boundary + SECOND - 1 }),
            anEvent({ jobId: 'before', finishedAt: boundary - 1 }),
            anEvent({ jobId: 'first', finishedAt: FROM + SECOND - 1 }),
            anEvent({ jobId: 'too-early', finishedAt: FROM - 1 }),
          ]);
          await history.recordDecisions([
            aDecision({ class: 'released', at: boundary + SECOND - 1, count: 4 }),
            aDecision({ class: 'released', at: boundary - 1, count: 1 }),
          ]);

          const { slots } = await history.chartSlots('orders', FROM, boundary, SLOT);

          expect(slots).toEqual([
            { ...emptySlot(FROM), completed: 2, released: 1 },
            { ...emptySlot(boundary), completed: 2, released: 4 },
          ]);
          // A slot edge inside a bucket: the bucket stays whole, in the slot of its start.
          const cut = await history.chartSlots('orders', boundary - SLOT / 2, boundary, SLOT / 2);
          expect(cut.slots.map((slot) => slot.completed)).toEqual([1, 2]);
          const inside = await history.chartSlots('orders', boundary + 1, boundary + 2, 1);
          expect(inside.slots.map((slot) => slot.completed)).toEqual([0, 0]);
        }));

      it('sums large counts in one slot, and draws slots of any size', () =>
        withHistory(async (history) => {
          const events = Array.from({ length: 1_000 }, (_, i) =>
            anEvent({ jobId: `j-${i}`, success: i % 10 !== 0, secondsAgo: i % 600 }),
          );
          await history.recordMany(events);
          await history.recordDecisions([
            aDecision({ class: 'released', count: 600_000, secondsAgo: 1 }),
            aDecision({ class: 'released', count: 600_000, secondsAgo: 2 }),
          ]);

          const { slots } = await history.chartSlots('orders', NOW - 3_600_000, NOW, 3_600_000);

          expect(slots).toEqual([
            { ...emptySlot(NOW - 3_600_000), completed: 900, failed: 98, released: 1_200_000 },
            { ...emptySlot(NOW), failed: 2 },
          ]);
          const [whole] = (await history.chartSlots('orders', NOW - 600_000, NOW, 600_001)).slots;
          expect(whole).toMatchObject({ completed: 900, failed: 100, released: 1_200_000 });
        }));

      it('keeps counting what the per-type retention of the rows pruned', () =>
        withHistory(
          async (history) => {
            await history.recordMany(
              [50, 40, 30, 20, 10].map((m) =>
                anEvent({ jobId: `o-${m}`, secondsAgo: minutesAgo(m), success: m !== 20 }),
              ),
            );
            await history.recordDecisions(
              [55, 45, 35, 25].map((m) => aDecision({ secondsAgo: minutesAgo(m), count: m })),
            );

            expect(await history.prune()).toBe(3);

            expect((await history.recent(10)).orders).toHaveLength(3);
            const { slots, historyFrom } = await history.chartSlots('orders', FROM, NOW, SLOT);
            expect(slots.map((slot) => [slot.completed, slot.failed, slot.deduplicated])).toEqual([
              [0, 0, 55],
              [1, 0, 45],
              [1, 0, 35],
              [1, 0, 25],
              [0, 1, 0],
              [1, 0, 0],
              [0, 0, 0],
            ]);
            // The counts are complete back to the age bound, whatever the rows' count.
            expect(historyFrom).toBeNull();
          },
          { maxPerType: 3 },
        ));

      it('says so for a range reaching past the age bound too', () =>
        withHistory(
          async (history) => {
            const range = await history.chartSlots('orders', NOW - 2 * DAY, NOW, 60 * MINUTE);
            expect(range.historyFrom).toBe(NOW - DAY);
            const inside = await history.chartSlots('orders', NOW - DAY + 1, NOW, 60 * MINUTE);
            expect(inside.historyFrom).toBeNull();
          },
          { maxAgeDays: 1 },
        ));
    });

    describe('agentOutcomes', () => {
      it("lists one agent's newest outcomes of every type, newest first, up to `limit`", () =>
        withHistory(async (history) => {
          const failed = anEvent({
            jobId: 'i-1',
            type: 'invoices',
            userId: 'a-7',
            success: false,
            error: 'ERP timed out',
            durationMs: 30_017,
            secondsAgo: 10,
          });
          await history.recordMany([
            anEvent({ jobId: 'o-1', userId: 'a-7', secondsAgo: 30 }),
            failed,
            anEvent({ jobId: 'c-1', type: 'customers', userId: 'a-7', secondsAgo: 20 }),
            anEvent({ jobId: 'o-2', userId: 'a-8', secondsAgo: 5 }),
            anEvent({ jobId: 'p-1', type: 'prices', userId: 'service-account', secondsAgo: 1 }),
          ]);

          expect(await history.agentOutcomes('a-7', 10)).toEqual([
            failed,
            expect.objectContaining({ jobId: 'c-1', type: 'customers' }),
            expect.objectContaining({ jobId: 'o-1', type: 'orders' }),
          ]);
          expect(jobIds(await history.agentOutcomes('a-7', 2))).toEqual(['i-1', 'c-1']);
          expect(jobIds(await history.agentOutcomes('service-account', 10))).toEqual(['p-1']);
          expect(await history.agentOutcomes('a-7', 0)).toEqual([]);
          expect(await history.agentOutcomes('nobody', 10)).toEqual([]);
        }));

      it('settles equal finish times by the order of recording, newest first', () =>
        withHistory(async (history) => {
          await recordAll(history, [
            anEvent({ jobId: 'first', type: 'ddt' }),
            anEvent({ jobId: 'second', type: 'orders' }),
          ]);
          expect(jobIds(await history.agentOutcomes('a-1', 10))).toEqual(['second', 'first']);
        }));
    });

    describe('prune', () => {
      it('keeps the newest maxPerType events of each type and says how many went', () =>
        withHistory(
          async (history) => {
            const types: SyncType[] = ['orders', 'invoices'];
            for (const type of types) {
              await recordAll(
                history,
                [1, 2, 3, 4, 5].map((s) => anEvent({ jobId: `${type}-${s}`, type, secondsAgo: s })),
              );
            }
            await history.record(anEvent({ jobId: 'prices-1', type: 'prices' }));

            expect(await history.prune()).toBe(4);

            const recent = await history.recent(10);
            expect(jobIds(recent.orders)).toEqual(['orders-1', 'orders-2', 'orders-3']);
            expect(jobIds(recent.invoices)).toEqual(['invoices-1', 'invoices-2', 'invoices-3']);
            expect(jobIds(recent.prices)).toEqual(['prices-1']);
          },
          { maxPerType: 3 },
        ));

      it('drops events older than maxAgeDays, however few there are', () =>
        withHistory(
          async (history) => {
            await recordAll(history, [
              anEvent({ jobId: 'fresh', secondsAgo: 60 }),
              anEvent({ jobId: 'almost-2-days', secondsAgo: (2 * DAY) / SECOND - 1 }),
              anEvent({ jobId: 'old', type: 'customers', secondsAgo: (2 * DAY) / SECOND + 1 }),
              anEvent({ jobId: 'older', secondsAgo: (9 * DAY) / SECOND }),
            ]);

            expect(await history.prune()).toBe(4); // two events and their chart counts

            const recent = await history.recent(10);
            expect(jobIds(recent.orders)).toEqual(['fresh', 'almost-2-days']);
            expect(recent.customers).toEqual([]);
          },
          { maxAgeDays: 2 },
        ));

      it('drops the chart counts of the minutes that ended by the age bound, only those', () =>
        withHistory(
          async (history) => {
            const cutoff = NOW - 2 * DAY;
            await history.recordMany([
              anEvent({ jobId: 'last-old-minute', finishedAt: cutoff - 1 }),
              anEvent({ jobId: 'old-minute', finishedAt: cutoff - SECOND }),
              anEvent({ jobId: 'first-kept', finishedAt: cutoff }),
              anEvent({ jobId: 'kept', finishedAt: cutoff + SECOND - 1, success: false }),
            ]);
            await history.recordDecisions([
              aDecision({ class: 'released', at: cutoff - 1, count: 5 }),
              aDecision({ class: 'released', at: cutoff, count: 7 }),
            ]);
            const range = (): Promise<ChartSlots> =>
              history.chartSlots('orders', cutoff - SECOND, cutoff, SECOND);

            // Two old events, their two chart counts (one bucket) and the old released count.
            expect(await history.prune()).toBe(4);

            expect((await range()).slots).toEqual([
              expect.objectContaining({ completed: 0, released: 0 }),
              expect.objectContaining({ completed: 1, failed: 1, released: 7 }),
            ]);
            expect((await range()).historyFrom).toBe(cutoff);
            expect(await history.prune()).toBe(0);
          },
          { maxAgeDays: 2 },
        ));

      it('removes nothing when everything is within bounds, and is harmless when repeated', () =>
        withHistory(async (history) => {
          await recordAll(history, [anEvent({ jobId: 'a' }), anEvent({ jobId: 'b' })]);
          expect(await history.prune()).toBe(0);
          expect(await history.prune()).toBe(0);
          expect(jobIds((await history.recent(10)).orders)).toHaveLength(2);
        }));
    });
  });
}
