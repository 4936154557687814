import { afterAll, beforeAll } from 'vitest';
import { InMemoryRunLog } from '../../src/adapters/memory/in-memory-run-log.js';
import { PostgresRunLog } from '../../src/adapters/postgres/postgres-run-log.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { describeRunLogContract } from './run-log.contract.js';

describeRunLogContract('InMemoryRunLog', async () => ({
  runLog: new InMemoryRunLog(),
  cleanup: async () => {},
}));

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describeRunLogContract('PostgresRunLog', async () => {
  await db.pool.query('delete from system.sync_last_runs');
  return { runLog: new PostgresRunLog(db.pool), cleanup: async () => {} };
});
