import { describe, expect, it, vi } from 'vitest';
import type { SettingsFeed } from '../../src/domain/ports/settings-feed.js';
import type { SettingsStore } from '../../src/domain/ports/settings-store.js';

export interface SettingsFeedFixture {
  /** Two feeds that must both hear a change (the same one when there is only one). */
  readonly feeds: readonly [SettingsFeed, SettingsFeed];
  /** Where changes are made. */
  readonly store: SettingsStore;
  /** Resolves once a change made now will be heard. */
  ready(): Promise<void>;
  cleanup(): Promise<void>;
}

/** The bound: a change made through any replica reaches every replica within 2 s. */
const DELIVERY_MS = 2_000;

/** What every SettingsFeed must do; `makeFeed` hands out feeds over a store's changes. */
export function describeSettingsFeedContract(
  name: string,
  makeFeed: () => Promise<SettingsFeedFixture>,
): void {
  describe(name, () => {
    const withFeed = async (test: (fixture: SettingsFeedFixture) => Promise<void>) => {
      const fixture = await makeFeed();
      try {
        await test(fixture);
      } finally {
        await fixture.cleanup();
      }
    };
    const counter = () => {
      const calls = { count: 0 };
      return { calls, listener: () => void calls.count++ };
    };

    const saves: [string, (store: SettingsStore) => Promise<unknown>][] = [
      ['an interval', (store) => store.saveInterval('orders', 45)],
      ['a paused type', (store) => store.saveEnabled('ddt', false)],
      ['a stop', (store) => store.saveRunning(false)],
    ];
    for (const [what, save] of saves) {
      it(`tells every subscriber about ${what}`, () =>
        withFeed(async ({ feeds, store, ready }) => {
          const [a, b] = [counter(), counter()];
          feeds[0].subscribe(a.listener);
          feeds[1].subscribe(b.listener);
          await ready();

          await save(store);

          await vi.waitFor(() => expect([a.calls.count, b.calls.count]).toEqual([1, 1]), {
            timeout: DELIVERY_MS,
            interval: 10,
          });
        }));
    }

    it('hands each subscriber the version the change committed', () =>
      withFeed(async ({ feeds, store, ready }) => {
        const heard: (number | undefined)[] = [];
        feeds[1].subscribe((version) => heard.push(version));
        await ready();

        const stored = await store.saveInterval('invoices', 35);

        await vi.waitFor(() => expect(heard).toEqual([stored.version]), {
          timeout: DELIVERY_MS,
          interval: 10,
        });
      }));

    it('tells a subscriber about each of several changes', () =>
      withFeed(async ({ feeds, store, ready }) => {
        const { calls, listener } = counter();
        feeds[0].subscribe(listener);
        await ready();

        await store.saveInterval('prices', 120);
        await vi.waitFor(() => expect(calls.count).toBe(1), { timeout: DELIVERY_MS });
        await store.saveRunning(false);
        await vi.waitFor(() => expect(calls.count).toBe(2), { timeout: DELIVERY_MS });
      }));

    it('stops telling a subscriber that unsubscribed, and only that one', () =>
      withFeed(async ({ feeds, store, ready }) => {
        const [gone, staying] = [counter(), counter()];
        const unsubscribe = feeds[0].subscribe(gone.listener);
        feeds[0].subscribe(staying.listener);
        await ready();

        unsubscribe();
        await store.saveEnabled('prices', false);

        await vi.waitFor(() => expect(staying.calls.count).toBe(1), { timeout: DELIVERY_MS });
        expect(gone.calls.count).toBe(0);
      }));
  });
}
