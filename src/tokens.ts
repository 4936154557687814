/** Tokens for what the composition root builds beyond the domain ports. */
export const CONFIG = Symbol.for('sync-scheduler/Config');
export const LOGGER = Symbol.for('sync-scheduler/Logger');
export const METRICS = Symbol.for('sync-scheduler/Metrics');
export const SCHEDULER = Symbol.for('sync-scheduler/Scheduler');
/** The agent registry that reads PostgreSQL directly, before the cache decorates it. */
export const SOURCE_AGENT_REGISTRY = Symbol.for('sync-scheduler/SourceAgentRegistry');
export const REDIS_CONNECTION = Symbol.for('sync-scheduler/RedisConnection');
export const HISTORY_RECORDER = Symbol.for('sync-scheduler/HistoryRecorder');
export const USE_CASES = Symbol.for('sync-scheduler/UseCases');
export const FOLLOW_DESIRED_STATE = Symbol.for('sync-scheduler/FollowDesiredState');
