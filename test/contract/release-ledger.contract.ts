import { describe, expect, it } from 'vitest';
import type { ReleaseLedger } from '../../src/domain/ports/release-ledger.js';

export interface ReleaseLedgerFixture {
  readonly ledger: ReleaseLedger;
  /** The resolution the ledger was built with. */
  readonly bucketMs: number;
  cleanup(): Promise<void>;
}

const T0 = 1_800_000_000_000;

/** What every ReleaseLedger must do; `makeLedger` hands out an empty one. */
export function describeReleaseLedgerContract(
  name: string,
  makeLedger: () => Promise<ReleaseLedgerFixture>,
): void {
  describe(name, () => {
    const withLedger = async (test: (f: ReleaseLedgerFixture) => Promise<void>): Promise<void> => {
      const fixture = await makeLedger();
      try {
        await test(fixture);
      } finally {
        await fixture.cleanup();
      }
    };

    describe('releases per rolling minute', () => {
      // The window is the scheduler minute: 60 buckets.
      it('count nothing when nothing was released', () =>
        withLedger(async ({ ledger, bucketMs }) => {
          expect(await ledger.releasedWithin(60 * bucketMs, T0)).toBe(0);
        }));

      it('sum every release within the window and forget the older ones', () =>
        withLedger(async ({ ledger, bucketMs }) => {
          const minute = 60 * bucketMs;
          await ledger.recordReleased(10, T0);
          await ledger.recordReleased(5, T0 + 30 * bucketMs);
          await ledger.recordReleased(7, T0 + 59 * bucketMs);
          expect(await ledger.releasedWithin(minute, T0 + 59 * bucketMs)).toBe(22);
          expect(await ledger.releasedWithin(minute, T0 + 61 * bucketMs)).toBe(12);
          expect(await ledger.releasedWithin(minute, T0 + 200 * bucketMs)).toBe(0);
        }));

      it('ignore a count of zero', () =>
        withLedger(async ({ ledger, bucketMs }) => {
          await ledger.recordReleased(0, T0);
          expect(await ledger.releasedWithin(60 * bucketMs, T0)).toBe(0);
        }));

      it('count releases recorded long after older ones were dropped', () =>
        withLedger(async ({ ledger, bucketMs }) => {
          await ledger.recordReleased(3, T0);
          await ledger.recordReleased(4, T0 + 500 * bucketMs);
          expect(await ledger.releasedWithin(60 * bucketMs, T0 + 500 * bucketMs)).toBe(4);
        }));
    });

    describe('manual pairs waiting for the leader', () => {
      it('come back most stale first, each once, and are then gone', () =>
        withLedger(async ({ ledger }) => {
          await ledger.deferManual([
            { type: 'orders', userId: 'a', lastSuccessAt: T0 },
            { type: 'orders', userId: 'b', lastSuccessAt: 0 },
            { type: 'ddt', userId: 'a', lastSuccessAt: T0 - 5 },
          ]);
          expect(await ledger.takeManual(2)).toEqual([
            { type: 'orders', userId: 'b', lastSuccessAt: 0 },
            { type: 'ddt', userId: 'a', lastSuccessAt: T0 - 5 },
          ]);
          expect(await ledger.takeManual(10)).toEqual([
            { type: 'orders', userId: 'a', lastSuccessAt: T0 },
          ]);
          expect(await ledger.takeManual(10)).toEqual([]);
        }));

      it('keep a pair once however often it is deferred', () =>
        withLedger(async ({ ledger }) => {
          await ledger.deferManual([{ type: 'orders', userId: 'a', lastSuccessAt: 5 }]);
          await ledger.deferManual([{ type: 'orders', userId: 'a', lastSuccessAt: 9 }]);
          expect(await ledger.takeManual(10)).toEqual([
            { type: 'orders', userId: 'a', lastSuccessAt: 5 },
          ]);
        }));

      it('keep agent ids with any characters', () =>
        withLedger(async ({ ledger }) => {
          const userId = 'agent:with spaces/and:colons-é';
          await ledger.deferManual([{ type: 'invoices', userId, lastSuccessAt: 1 }]);
          expect(await ledger.takeManual(1)).toEqual([
            { type: 'invoices', userId, lastSuccessAt: 1 },
          ]);
        }));
    });
  });
}
