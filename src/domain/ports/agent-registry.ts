/** Who the agent-type syncs run for. */
export interface AgentRegistry {
  /** Ids of the agents whose data is synced (whitelisted users); rejects when unreachable. */
  listActiveAgentIds(): Promise<readonly string[]>;
}

export const AGENT_REGISTRY = Symbol.for('sync-scheduler/AgentRegistry');
