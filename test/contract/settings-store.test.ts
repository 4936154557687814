import { afterAll, beforeAll } from 'vitest';
import { InMemorySettingsStore } from '../../src/adapters/memory/in-memory-settings-store.js';
import { PostgresSettingsStore } from '../../src/adapters/postgres/postgres-settings-store.js';
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
