/** The shared `pg.Pool`, built once by the composition root. */
export const PG_POOL = Symbol.for('sync-scheduler/PgPool');
/** Where the agent registry finds the host's activity column (an AgentActivitySource). */
export const AGENT_ACTIVITY = Symbol.for('sync-scheduler/AgentActivity');
