import { describe, expect, it } from 'vitest';
import { defaultTypeSettings } from '../../src/domain/desired-state.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import type { SettingsStore, SyncSettings } from '../../src/domain/ports/settings-store.js';
import { SYNC_TYPES } from '../../src/domain/sync-types.js';
import type { WorkingWindow } from '../../src/domain/working-hours.js';

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

const WEEKDAYS: WorkingWindow = {
  from: '07:00',
  to: '20:00',
  days: [1, 2, 3, 4, 5],
  timeZone: 'Europe/Rome',
};
/** Crosses midnight, on an unordered-looking but valid set of days, in another zone. */
const NIGHTS: WorkingWindow = {
  from: '22:30',
  to: '06:15',
  days: [5, 6, 7],
  timeZone: 'America/Argentina/Buenos_Aires',
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

    describe('saveTypeSettings', () => {
      it('saves the interval alone, keeping the multipliers, window and flag', () =>
        withStore(async (store) => {
          await store.saveWindow('orders', WEEKDAYS);
          await store.saveEnabled('orders', false);
          const saved = await store.saveTypeSettings('orders', { intervalMinutes: 45 });
          const expected = {
            ...FRESH.types.orders,
            intervalMinutes: 45,
            enabled: false,
            window: WEEKDAYS,
          };
          expect(saved.types.orders).toEqual(expected);
          expect((await store.loadSettings()).types.orders).toEqual(expected);
        }));

      it('saves the idle multiplier alone', () =>
        withStore(async (store) => {
          const saved = await store.saveTypeSettings('customers', { idleMultiplier: 7 });
          const expected = { ...FRESH.types.customers, idleMultiplier: 7 };
          expect(saved.types.customers).toEqual(expected);
          expect((await store.loadSettings()).types.customers).toEqual(expected);
        }));

      it('saves the offline multiplier alone', () =>
        withStore(async (store) => {
          const saved = await store.saveTypeSettings('ddt', { offlineMultiplier: 12 });
          const expected = { ...FRESH.types.ddt, offlineMultiplier: 12 };
          expect(saved.types.ddt).toEqual(expected);
          expect((await store.loadSettings()).types.ddt).toEqual(expected);
        }));

      it('saves all three together as one change: one version higher', () =>
        withStore(async (store) => {
          const before = await store.loadSettings();
          const saved = await store.saveTypeSettings('invoices', {
            intervalMinutes: 90,
            idleMultiplier: 2,
            offlineMultiplier: 24,
          });
          expect(saved.version).toBe(before.version + 1);
          expect(saved.types.invoices).toEqual({
            ...FRESH.types.invoices,
            intervalMinutes: 90,
            idleMultiplier: 2,
            offlineMultiplier: 24,
          });
          expect(await store.loadSettings()).toEqual(saved);
        }));

      it('keeps every field the patch leaves out (undefined counts as left out)', () =>
        withStore(async (store) => {
          await store.saveTypeSettings('orders', { idleMultiplier: 9, offlineMultiplier: 3 });
          await store.saveTypeSettings('orders', { offlineMultiplier: 5 });
          await store.saveTypeSettings('orders', {
            intervalMinutes: 30,
            idleMultiplier: undefined,
          });
          expect((await store.loadSettings()).types.orders).toEqual({
            ...FRESH.types.orders,
            intervalMinutes: 30,
            idleMultiplier: 9,
            offlineMultiplier: 5,
          });
        }));

      it('stores the multiplier bounds 0 and 100', () =>
        withStore(async (store) => {
          await store.saveTypeSettings('prices', { idleMultiplier: 0, offlineMultiplier: 100 });
          const { prices } = (await store.loadSettings()).types;
          expect([prices.idleMultiplier, prices.offlineMultiplier]).toEqual([0, 100]);
        }));

      it('leaves the other types and the running flag alone', () =>
        withStore(async (store) => {
          await store.saveRunning(false);
          await store.saveTypeSettings('products', {
            intervalMinutes: 120,
            idleMultiplier: 1,
            offlineMultiplier: 1,
          });
          const settings = await store.loadSettings();
          expect(settings.running).toBe(false);
          for (const type of SYNC_TYPES.filter((t) => t !== 'products')) {
            expect(settings.types[type]).toEqual(FRESH.types[type]);
          }
        }));

      it('with an empty patch changes nothing and commits no version', () =>
        withStore(async (store) => {
          const before = await store.loadSettings();
          expect(await store.saveTypeSettings('orders', {})).toEqual(before);
          expect(await store.loadSettings()).toEqual(before);
        }));

      it('ignores fields that are not part of a patch', () =>
        withStore(async (store) => {
          const patch = { idleMultiplier: 6, enabled: false, window: WEEKDAYS };
          await store.saveTypeSettings('orders', patch);
          expect((await store.loadSettings()).types.orders).toEqual({
            ...FRESH.types.orders,
            idleMultiplier: 6,
          });
        }));
    });

    describe('saveWindow', () => {
      it('sets a window, keeping the interval, multipliers and flag', () =>
        withStore(async (store) => {
          await store.saveTypeSettings('orders', { intervalMinutes: 25, idleMultiplier: 3 });
          const saved = await store.saveWindow('orders', WEEKDAYS);
          const expected = {
            ...FRESH.types.orders,
            intervalMinutes: 25,
            idleMultiplier: 3,
            window: WEEKDAYS,
          };
          expect(saved.types.orders).toEqual(expected);
          expect((await store.loadSettings()).types.orders).toEqual(expected);
        }));

      it('replaces a window', () =>
        withStore(async (store) => {
          await store.saveWindow('customers', WEEKDAYS);
          await store.saveWindow('customers', NIGHTS);
          expect((await store.loadSettings()).types.customers.window).toEqual(NIGHTS);
        }));

      it('clears a window with null', () =>
        withStore(async (store) => {
          await store.saveWindow('ddt', WEEKDAYS);
          const cleared = await store.saveWindow('ddt', null);
          expect(cleared.types.ddt).toEqual(FRESH.types.ddt);
          expect((await store.loadSettings()).types.ddt.window).toBeNull();
        }));

      it('clearing a type that has no window is harmless', () =>
        withStore(async (store) => {
          await store.saveWindow('invoices', null);
          expect((await store.loadSettings()).types.invoices).toEqual(FRESH.types.invoices);
        }));

      it('round-trips the exact object: fields, day order and strings verbatim', () =>
        withStore(async (store) => {
          const odd: WorkingWindow = {
            from: '00:00',
            to: '23:59',
            days: [7],
            timeZone: `O'Brien\\Zone "quoted"`,
          };
          for (const window of [WEEKDAYS, NIGHTS, odd]) {
            const saved = await store.saveWindow('prices', window);
            const loaded = (await store.loadSettings()).types.prices.window;
            expect(saved.types.prices.window).toStrictEqual(window);
            expect(loaded).toStrictEqual(window);
          }
        }));

      it('keeps a copy: changing the object afterwards changes nothing stored', () =>
        withStore(async (store) => {
          const window = { ...WEEKDAYS, days: [...WEEKDAYS.days] };
          await store.saveWindow('orders', window);
          window.days.push(6);
          expect((await store.loadSettings()).types.orders.window).toEqual(WEEKDAYS);
        }));

      it('leaves the other types alone, shared types included', () =>
        withStore(async (store) => {
          await store.saveWindow('products', WEEKDAYS);
          await store.saveWindow('orders', NIGHTS);
          const { types } = await store.loadSettings();
          expect(types.products.window).toEqual(WEEKDAYS);
          expect(types.orders.window).toEqual(NIGHTS);
          for (const type of SYNC_TYPES.filter((t) => t !== 'products' && t !== 'orders')) {
            expect(types[type]).toEqual(FRESH.types[type]);
          }
        }));

      it('survives later interval, multiplier and flag changes', () =>
        withStore(async (store) => {
          await store.saveWindow('invoices', NIGHTS);
          await store.saveInterval('invoices', 40);
          await store.saveTypeSettings('invoices', { offlineMultiplier: 8 });
          await store.saveEnabled('invoices', false);
          expect((await store.loadSettings()).types.invoices).toEqual({
            ...FRESH.types.invoices,
            intervalMinutes: 40,
            offlineMultiplier: 8,
            enabled: false,
            window: NIGHTS,
          });
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

      it('moves exactly one version per change, whatever the change', () =>
        withStore(async (store) => {
          const changes = [
            () => store.saveInterval('orders', 15),
            () => store.saveTypeSettings('orders', { idleMultiplier: 2 }),
            () =>
              store.saveTypeSettings('customers', {
                intervalMinutes: 30,
                idleMultiplier: 5,
                offlineMultiplier: 10,
              }),
            () => store.saveWindow('orders', WEEKDAYS),
            () => store.saveWindow('orders', NIGHTS),
            () => store.saveWindow('orders', null),
            () => store.saveEnabled('ddt', false),
            () => store.saveRunning(false),
          ];
          let version = (await store.loadSettings()).version;
          for (const change of changes) {
            const committed = await change();
            expect(committed.version).toBe(version + 1);
            expect(await store.loadSettings()).toEqual(committed);
            version = committed.version;
          }
        }));

      it('counts a window and a type-settings change in one snapshot each', () =>
        withStore(async (store) => {
          const window = await store.saveWindow('prices', WEEKDAYS);
          const tiers = await store.saveTypeSettings('prices', { offlineMultiplier: 4 });
          expect(window.types.prices.offlineMultiplier).toBe(0);
          expect(tiers.types.prices).toEqual({
            ...FRESH.types.prices,
            offlineMultiplier: 4,
            window: WEEKDAYS,
          });
        }));

      it('does not move the version on a read', () =>
        withStore(async (store) => {
          const first = await store.loadSettings();
          expect((await store.loadSettings()).version).toBe(first.version);
        }));
    });
  });
}
