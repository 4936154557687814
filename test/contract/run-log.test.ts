import { InMemoryRunLog } from '../../src/adapters/memory/in-memory-run-log.js';
import { PostgresRunLog } from '../../src/adapters/postgres/postgres-run-log.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { describeRunLogContract } from './run-log.contract.js';

describeRunLogContract('InMemoryRunLog', async () => ({
  runLog: new InMemoryRunLog(),
  cleanup: async () => {},
}));

const db = useTestDatabase();

describeRunLogContract('PostgresRunLog', async () => {
  await db().pool.query('delete from system.sync_last_runs');
  return { runLog: new PostgresRunLog(db().pool), cleanup: async () => {} };
});
