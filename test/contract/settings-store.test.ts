import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySettingsStore } from '../../src/adapters/memory/in-memory-settings-store.js';
import { PostgresSettingsStore } from '../../src/adapters/postgres/postgres-settings-store.js';
import { defaultTypeSettings } from '../../src/domain/desired-state.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { describeSettingsStoreContract } from './settings-store.contract.js';

describeSettingsStoreContract('InMemorySettingsStore', async () => ({
  store: new InMemorySettingsStore(),
  cleanup: async () => {},
}));

let db: TestDatabase;
let seeded: { sync_type: string; interval_minutes: number; enabled: boolean }[];
let seededRunning: boolean;

beforeAll(async () => {
  db = await createTestDatabase();
  // Each test starts from exactly what the migrations left, without restating the seed here.
  seeded = (
    await db.pool.query('select sync_type, interval_minutes, enabled from system.sync_settings')
  ).rows;
  seededRunning = (await db.pool.query('select running from system.scheduler_state')).rows[0]
    .running;
});

afterAll(async () => {
  await db?.drop();
});

async function restoreSeed(): Promise<void> {
  await db.pool.query('delete from system.sync_settings');
  await db.pool.query(
    `insert into system.sync_settings (sync_type, interval_minutes, enabled)
     select * from unnest($1::text[], $2::int[], $3::boolean[])`,
    [
      seeded.map((row) => row.sync_type),
      seeded.map((row) => row.interval_minutes),
      seeded.map((row) => row.enabled),
    ],
  );
  await db.pool.query('delete from system.scheduler_state');
  await db.pool.query('insert into system.scheduler_state (running) values ($1)', [seededRunning]);
}

describeSettingsStoreContract('PostgresSettingsStore', async () => {
  await restoreSeed();
  return { store: new PostgresSettingsStore(db.pool), cleanup: async () => {} };
});

// An operator may delete rows by hand: the store falls back to what a fresh install has.
describeSettingsStoreContract('PostgresSettingsStore with no rows at all', async () => {
  await db.pool.query('delete from system.sync_settings');
  await db.pool.query('delete from system.scheduler_state');
  return { store: new PostgresSettingsStore(db.pool), cleanup: async () => {} };
});

// One row deleted by hand while the others stay: a patch of multipliers only (or a window)
// must recreate it with the interval loadSettings was reporting, not fail on the NOT NULL.
describe('PostgresSettingsStore with one row deleted by hand', () => {
  const deleteOrders = async (): Promise<PostgresSettingsStore> => {
    await restoreSeed();
    await db.pool.query(`delete from system.sync_settings where sync_type = 'orders'`);
    return new PostgresSettingsStore(db.pool);
  };

  it('recreates it from a patch of multipliers only, at the default interval', async () => {
    const store = await deleteOrders();
    const before = await store.loadSettings();
    const saved = await store.saveTypeSettings('orders', { idleMultiplier: 8 });
    expect(saved.version).toBe(before.version + 1);
    expect(saved.types).toEqual({
      ...before.types,
      orders: { ...defaultTypeSettings('orders'), idleMultiplier: 8 },
    });
    const { rows } = await db.pool.query(
      `select interval_minutes, enabled, idle_multiplier, offline_multiplier, working_window
       from system.sync_settings where sync_type = 'orders'`,
    );
    expect(rows).toEqual([
      {
        interval_minutes: DEFAULT_INTERVALS.orders,
        enabled: true,
        idle_multiplier: 8,
        offline_multiplier: 0,
        working_window: null,
      },
    ]);
  });

  it('recreates it from a window', async () => {
    const store = await deleteOrders();
    const window = { from: '08:00', to: '18:00', days: [1, 2, 3], timeZone: 'UTC' };
    const saved = await store.saveWindow('orders', window);
    expect(saved.types.orders).toEqual({ ...defaultTypeSettings('orders'), window });
  });

  it('records the values it was reporting for the missing row as the audit "before"', async () => {
    const store = await deleteOrders();
    await db.pool.query('truncate system.audit_log');
    const audit = { actor: 'alice', role: 'admin', requestId: null } as const;
    await store.saveTypeSettings(
      'orders',
      { idleMultiplier: 8 },
      { ...audit, action: 'settings.update', target: 'orders' },
    );
    const { rows } = await db.pool.query('select before, after from system.audit_log');
    expect(rows).toEqual([{ before: { idleMultiplier: 4 }, after: { idleMultiplier: 8 } }]);
  });

  it('rejects (never throws) a value that is not an integer, and stores nothing', async () => {
    const store = await deleteOrders();
    const before = await store.loadSettings();
    const saving = (() => {
      try {
        return store.saveTypeSettings('orders', { offlineMultiplier: 1.5 });
      } catch (error) {
        return error;
      }
    })();
    expect(saving).toBeInstanceOf(Promise);
    await expect(saving).rejects.toThrow(TypeError);
    expect(await store.loadSettings()).toEqual(before);
  });
});
