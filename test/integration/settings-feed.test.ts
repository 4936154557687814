import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  PostgresSettingsFeed,
  SETTINGS_CHANNEL,
} from '../../src/adapters/postgres/postgres-settings-feed.js';
import { PostgresSettingsStore } from '../../src/adapters/postgres/postgres-settings-store.js';
import { describeSettingsFeedContract } from '../contract/settings-feed.contract.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let db: TestDatabase;
const feeds: PostgresSettingsFeed[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(feeds.splice(0).map((feed) => feed.close()));
});

afterAll(async () => {
  await db?.drop();
});

function aFeed(log: (message: string) => void = () => {}): PostgresSettingsFeed {
  const feed = new PostgresSettingsFeed(db.url, log, { reconnectMinMs: 50 });
  feeds.push(feed);
  return feed;
}

/** Two replicas' feeds on one database; changes go through a third replica's store. */
describeSettingsFeedContract('PostgresSettingsFeed', async () => {
  const pair = [aFeed(), aFeed()] as const;
  return {
    feeds: pair,
    store: new PostgresSettingsStore(db.pool),
    ready: async () => {
      await Promise.all(pair.map((feed) => feed.ready()));
    },
    cleanup: async () => {
      await Promise.all(pair.map((feed) => feed.close()));
    },
  };
});

/** The feeds' backends in this database (a closed feed's backend may linger for a moment). */
async function feedBackends(): Promise<number[]> {
  const { rows } = await db.pool.query<{ pid: number }>(
    `select pid from pg_stat_activity
     where datname = current_database() and application_name = 'sync-scheduler-settings-feed'`,
  );
  return rows.map((row) => row.pid);
}

async function killTheOnlyFeedBackend(): Promise<void> {
  await vi.waitFor(async () => expect(await feedBackends()).toHaveLength(1));
  const [pid] = await feedBackends();
  await db.pool.query('select pg_terminate_backend($1)', [pid]);
}

describe('PostgresSettingsFeed', () => {
  it('reconnects after its connection is killed, calls each listener once, then delivers again', async () => {
    const warnings: string[] = [];
    const feed = aFeed((message) => warnings.push(message));
    let calls = 0;
    feed.subscribe(() => calls++);
    await feed.ready();

    await killTheOnlyFeedBackend();

    // Once for the notifications it may have missed while disconnected, and no more.
    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 2_000, interval: 10 });
    await feed.ready();
    expect(warnings).toEqual([expect.stringContaining('reconnecting')]);

    await new PostgresSettingsStore(db.pool).saveRunning(false);
    await vi.waitFor(() => expect(calls).toBe(2), { timeout: 2_000, interval: 10 });
  });

  it('does not call listeners when it first connects', async () => {
    const feed = aFeed();
    let calls = 0;
    feed.subscribe(() => calls++);
    await feed.ready();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(0);
  });

  it('hears a change made by hand in the database', async () => {
    const feed = aFeed();
    let calls = 0;
    feed.subscribe(() => calls++);
    await feed.ready();

    await db.pool.query(
      "update system.sync_settings set interval_minutes = 25 where sync_type = 'ddt'",
    );

    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 2_000 });
  });

  it('ignores notifications on other channels', async () => {
    const feed = aFeed();
    let calls = 0;
    feed.subscribe(() => calls++);
    await feed.ready();

    await db.pool.query(`select pg_notify('some_other_channel', ''), pg_notify($1, 'x')`, [
      SETTINGS_CHANNEL,
    ]);

    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 2_000 });
  });

  it('keeps telling the other listeners when one throws, and logs the failure', async () => {
    const errors: string[] = [];
    const feed = aFeed((message) => errors.push(message));
    let calls = 0;
    feed.subscribe(() => {
      throw new Error('listener bug');
    });
    feed.subscribe(() => calls++);
    await feed.ready();

    await new PostgresSettingsStore(db.pool).saveEnabled('orders', false);

    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 2_000 });
    expect(errors).toEqual([expect.stringContaining('listener bug')]);
  });

  it('keeps retrying, without rejecting, while the database is unreachable', async () => {
    const url = new URL(db.url);
    url.port = '1'; // nothing listens there
    const warnings: string[] = [];
    const feed = new PostgresSettingsFeed(url.toString(), (message) => warnings.push(message), {
      reconnectMinMs: 20,
      reconnectMaxMs: 40,
    });
    feed.subscribe(() => {});
    try {
      await vi.waitFor(() => expect(warnings.length).toBeGreaterThanOrEqual(3), { timeout: 2_000 });
    } finally {
      await feed.close();
    }
  });

  it('closes promptly and more than once', async () => {
    const feed = aFeed();
    feed.subscribe(() => {});
    await feed.ready();

    await feed.close();
    await feed.close();

    await vi.waitFor(async () => expect(await feedBackends()).toEqual([]));
  });
});
