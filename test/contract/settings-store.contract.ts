import { describe, expect, it } from 'vitest';
import { defaultTypeSettings } from '../../src/domain/desired-state.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import type { SettingsStore, SyncSettings } from '../../src/domain/ports/settings-store.js';
import { SYNC_TYPES } from '../../src/domain/sync-types.js';

export interface SettingsStoreFixture {
  readonly store: SettingsStore;
  cleanup(): Promise<void>;
}

/** A fresh install: running, every type enabled at its default interval. */
const FRESH: SyncSettings = {
  version: expect.any(Number) as number,
  running: true,
  types: Object.fromEntries(
    SYNC_TYPES.map((type) => [type, defaultTypeSettings(type)]),
  ) as SyncSettings['types'],
};

/** What every SettingsStore must do; `makeStore` hands out one nobody has written to. */
export function describeSettingsStoreContract(
  name: string,
  makeStore: () => Promise<SettingsStoreFixture>,
): void {
  describe(name, () => {
    const withStore = async (test: (store: SettingsStore) => Promise<void>): Promise<void> => {
      const { store, cleanup } = await makeStore();
      try {
        await test(store);
      } finally {
        await cleanup();
      }
    };

    it('loads the six default intervals when nothing was saved', () =>
      withStore(async (store) => {
        expect(await store.loadIntervals()).toEqual(DEFAULT_INTERVALS);
      }));

    it('reads back a saved interval', () =>
      withStore(async (store) => {
        await store.saveInterval('orders', 45);
        expect((await store.loadIntervals()).orders).toBe(45);
      }));

    it('leaves the other types alone when one is saved', () =>
      withStore(async (store) => {
        await store.saveInterval('prices', 120);
        expect(await store.loadIntervals()).toEqual({ ...DEFAULT_INTERVALS, prices: 120 });
      }));

    it('keeps the latest value when a type is saved again', () =>
      withStore(async (store) => {
        await store.saveInterval('ddt', 30);
        await store.saveInterval('ddt', 90);
        expect((await store.loadIntervals()).ddt).toBe(90);
      }));

    it('accepts the same value saved twice', () =>
      withStore(async (store) => {
        await store.saveInterval('customers', 25);
        await store.saveInterval('customers', 25);
        expect(await store.loadIntervals()).toEqual({ ...DEFAULT_INTERVALS, customers: 25 });
      }));

    it('stores the boundary values 5 and 1440', () =>
      withStore(async (store) => {
        await store.saveInterval('invoices', 5);
        await store.saveInterval('products', 1440);
        const intervals = await store.loadIntervals();
        expect([intervals.invoices, intervals.products]).toEqual([5, 1440]);
      }));

    describe('settings', () => {
      it('are those of a fresh install when nothing was saved: running, every type enabled', () =>
        withStore(async (store) => {
          expect(await store.loadSettings()).toEqual(FRESH);
        }));

      it('read back a stop and a restart', () =>
        withStore(async (store) => {
          await store.saveRunning(false);
          expect((await store.loadSettings()).running).toBe(false);
          await store.saveRunning(true);
          expect((await store.loadSettings()).running).toBe(true);
        }));

      it('read back a paused and a resumed type', () =>
        withStore(async (store) => {
          await store.saveEnabled('ddt', false);
          expect((await store.loadSettings()).types.ddt.enabled).toBe(false);
          await store.saveEnabled('ddt', true);
          expect((await store.loadSettings()).types.ddt.enabled).toBe(true);
        }));

      it("leave the other types' flags and every interval alone when one type is paused", () =>
        withStore(async (store) => {
          await store.saveEnabled('invoices', false);
          expect(await store.loadSettings()).toEqual({
            ...FRESH,
            types: { ...FRESH.types, invoices: { ...FRESH.types.invoices, enabled: false } },
          });
          expect(await store.loadIntervals()).toEqual(DEFAULT_INTERVALS);
        }));

      it("keep a paused type's flag when its interval changes, and the reverse", () =>
        withStore(async (store) => {
          await store.saveEnabled('orders', false);
          await store.saveInterval('orders', 45);
          expect((await store.loadSettings()).types.orders).toEqual({
            ...FRESH.types.orders,
            intervalMinutes: 45,
            enabled: false,
          });
          await store.saveEnabled('orders', true);
          expect((await store.loadSettings()).types.orders.intervalMinutes).toBe(45);
        }));

      it('keep the running flag apart from the types', () =>
        withStore(async (store) => {
          await store.saveRunning(false);
          await store.saveInterval('prices', 120);
          const settings = await store.loadSettings();
          expect(settings.running).toBe(false);
          expect(settings.types.prices).toEqual({ ...FRESH.types.prices, intervalMinutes: 120 });
        }));

      it('agree with loadIntervals', () =>
        withStore(async (store) => {
          await store.saveInterval('customers', 35);
          const { types } = await store.loadSettings();
          const intervals = await store.loadIntervals();
          for (const type of SYNC_TYPES) expect(intervals[type]).toBe(types[type].intervalMinutes);
        }));
    });

    describe('versions', () => {
      it('resolves each change with the whole committed state, at a higher version', () =>
        withStore(async (store) => {
          const before = await store.loadSettings();
          const interval = await store.saveInterval('ddt', 40);
          const paused = await store.saveEnabled('prices', false);
          const stopped = await store.saveRunning(false);

          expect(interval.version).toBeGreaterThan(before.version);
          expect(paused.version).toBeGreaterThan(interval.version);
          expect(stopped.version).toBeGreaterThan(paused.version);
          expect(interval.types.ddt.intervalMinutes).toBe(40);
          expect(paused.types).toEqual({
            ...interval.types,
            prices: { ...FRESH.types.prices, enabled: false },
          });
          expect(stopped).toEqual({ ...paused, version: stopped.version, running: false });
          expect(await store.loadSettings()).toEqual(stopped);
        }));

      it('gives concurrent changes distinct versions, the highest holding all of them', () =>
        withStore(async (store) => {
          const results = await Promise.all([
            store.saveInterval('orders', 11),
            store.saveInterval('customers', 16),
            store.saveEnabled('invoices', false),
            store.saveRunning(false),
          ]);
          const versions = results.map((r) => r.version);
          expect(new Set(versions).size).toBe(4);
          const newest = results.reduce((a, b) => (b.version > a.version ? b : a));
          expect(newest.types.orders.intervalMinutes).toBe(11);
          expect(newest.types.customers.intervalMinutes).toBe(16);
          expect(newest.types.invoices.enabled).toBe(false);
          expect(newest.running).toBe(false);
          expect(await store.loadSettings()).toEqual(newest);
        }));

      it('does not move the version on a read', () =>
        withStore(async (store) => {
          const first = await store.loadSettings();
          expect((await store.loadSettings()).version).toBe(first.version);
        }));
    });
  });
}
