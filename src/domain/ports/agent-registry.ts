import type { AgentActivity } from '../activity.js';

/** Who the agent-type syncs run for, and when the host application last saw each of them. */
export interface AgentRegistry {
  /** Ids of the agents whose data is synced (whitelisted users); rejects when unreachable. */
  listActiveAgentIds(): Promise<readonly string[]>;
  /**
   * The same agents in the same order, each with its last activity (epoch ms; null when the
   * host application never saw it, or records no activity at all).
   */
  listAgents(): Promise<readonly AgentActivity[]>;
  /**
   * Whether the host application records activity (agents.users has the activity column).
   * When it does not, every `lastActivityAt` is null and every agent counts as active: pass
   * null rules to `tierOf`. Rejects when unreachable.
   */
  activityKnown(): Promise<boolean>;
}

export const AGENT_REGISTRY = Symbol.for('sync-scheduler/AgentRegistry');
