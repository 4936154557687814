import { InMemoryAgentStateStore } from '../../src/adapters/memory/in-memory-agent-state-store.js';
import { createPool } from '../../src/adapters/postgres/pool.js';
import { PostgresAgentStateStore } from '../../src/adapters/postgres/postgres-agent-state-store.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { describeAgentStateStoreContract } from './agent-state-store.contract.js';

describeAgentStateStoreContract(
  'InMemoryAgentStateStore',
  async () => {
    const store = new InMemoryAgentStateStore();
    return { store, other: store, cleanup: async () => {} };
  },
  async () => {
    const store = new InMemoryAgentStateStore();
    store.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    return store;
  },
);

const db = useTestDatabase();

describeAgentStateStoreContract(
  'PostgresAgentStateStore',
  async () => {
    await db().pool.query(
      `truncate system.sync_agent_state;
       update system.erp_breaker
         set state = 'closed', since = null, open_until = null, "window" = '[]', probe = null`,
    );
    // Two stores on their own pools: two replicas racing, each with its own connections.
    const otherPool = createPool(db().url);
    return {
      store: new PostgresAgentStateStore(db().pool),
      other: new PostgresAgentStateStore(otherPool),
      cleanup: () => otherPool.end(),
    };
  },
  async () => {
    // Nothing listens on port 1: every call is refused at connect.
    const pool = createPool('postgres://postgres@127.0.0.1:1/postgres', {
      connectionTimeoutMs: 1_000,
    });
    return new PostgresAgentStateStore(pool);
  },
);
