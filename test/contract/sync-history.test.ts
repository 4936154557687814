import { InMemorySyncHistory } from '../../src/adapters/memory/in-memory-sync-history.js';
import { PostgresSyncHistory } from '../../src/adapters/postgres/postgres-sync-history.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { describeSyncHistoryContract } from './sync-history.contract.js';

describeSyncHistoryContract('InMemorySyncHistory', async (retention) => ({
  history: new InMemorySyncHistory(retention),
  cleanup: async () => {},
}));

const db = useTestDatabase();

describeSyncHistoryContract('PostgresSyncHistory', async (retention) => {
  await db().pool.query('truncate system.sync_events, system.sync_decisions, system.sync_counts');
  return { history: new PostgresSyncHistory(db().pool, retention), cleanup: async () => {} };
});
