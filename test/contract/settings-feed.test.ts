import { describe, expect, it } from 'vitest';
import { InMemorySettingsStore } from '../../src/adapters/memory/in-memory-settings-store.js';
import { describeSettingsFeedContract } from './settings-feed.contract.js';

// The in-memory store is its own feed, as every replica shares one store in a unit test.
// PostgresSettingsFeed runs the same contract in test/integration/settings-feed.test.ts.
describeSettingsFeedContract('InMemorySettingsStore as a SettingsFeed', async () => {
  const store = new InMemorySettingsStore();
  return { feeds: [store, store], store, ready: async () => {}, cleanup: async () => {} };
});

describe('InMemorySettingsStore as a SettingsFeed', () => {
  it('tells nobody about a save that failed', async () => {
    const store = new InMemorySettingsStore();
    let calls = 0;
    store.subscribe(() => calls++);
    store.failWith(new Error('database down'));

    await expect(store.saveRunning(false)).rejects.toThrow('database down');
    await Promise.resolve();

    expect(calls).toBe(0);
  });

  it('has told its subscribers by the time the save resolves', async () => {
    const store = new InMemorySettingsStore();
    let calls = 0;
    store.subscribe(() => calls++);

    await store.saveInterval('orders', 30);

    expect(calls).toBe(1);
  });
});
