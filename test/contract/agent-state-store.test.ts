import { InMemoryAgentStateStore } from '../../src/adapters/memory/in-memory-agent-state-store.js';
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
