import { describe, expect, it } from 'vitest';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import type { SettingsStore } from '../../src/domain/ports/settings-store.js';

export interface SettingsStoreFixture {
  readonly store: SettingsStore;
  cleanup(): Promise<void>;
}

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
  });
}
