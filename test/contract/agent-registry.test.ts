import { InMemoryAgentRegistry } from '../../src/adapters/memory/in-memory-agent-registry.js';
import { PostgresAgentRegistry } from '../../src/adapters/postgres/postgres-agent-registry.js';
import { deleteAgents, insertAgents } from '../support/postgres.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { describeAgentRegistryContract } from './agent-registry.contract.js';

// The in-memory registry holds ids only, so the factory does the filtering and ordering.
describeAgentRegistryContract('InMemoryAgentRegistry', async (agents) => {
  const ids = agents
    .filter((agent) => agent.whitelisted)
    .toSorted((a, b) => a.username.localeCompare(b.username) || a.id.localeCompare(b.id))
    .map((agent) => agent.id);
  return { registry: new InMemoryAgentRegistry(ids), cleanup: async () => {} };
});

const db = useTestDatabase();

describeAgentRegistryContract('PostgresAgentRegistry', async (agents) => {
  await deleteAgents(db().pool);
  await insertAgents(db().pool, agents);
  return { registry: new PostgresAgentRegistry(db().pool), cleanup: async () => {} };
});
