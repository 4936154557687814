import type { AgentActivity } from '../../domain/activity.js';
import type { AgentRegistry } from '../../domain/ports/agent-registry.js';
import { asAdapterFailure } from './failure.js';

const UNREACHABLE = 'The agent list could not be read: the database is unreachable.';

/**
 * Agents in the order given (the caller plays the database's `order by username`). Given as
 * ids (constructor, setAgents) they model a host without an activity column: activity is
 * unknown and every agent counts as active. setAgentActivity models a host that records it.
 */
export class InMemoryAgentRegistry implements AgentRegistry {
  private agents: readonly AgentActivity[] = [];
  private known = false;
  private failure: Error | null = null;
  /** How many list lookups (listAgents or listActiveAgentIds) reached this registry. */
  calls = 0;

  constructor(agentIds: readonly string[] = []) {
    this.setAgents(agentIds);
  }

  async listActiveAgentIds(): Promise<readonly string[]> {
    this.lookup();
    return this.agents.map((agent) => agent.id);
  }

  async listAgents(): Promise<readonly AgentActivity[]> {
    this.lookup();
    return this.agents.map((agent) => ({ ...agent }));
  }

  async activityKnown(): Promise<boolean> {
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
    return this.known;
  }

  /** Ids only: activity unknown, as when agents.users has no activity column. */
  setAgents(agentIds: readonly string[]): void {
    this.agents = agentIds.map((id) => ({ id, lastActivityAt: null }));
    this.known = false;
  }

  /** Agents with their last activity (null: never seen): activity known. */
  setAgentActivity(agents: readonly AgentActivity[]): void {
    this.agents = agents.map((agent) => ({ ...agent }));
    this.known = true;
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }

  private lookup(): void {
    this.calls++;
    if (this.failure) throw asAdapterFailure(this.failure, UNREACHABLE);
  }
}
