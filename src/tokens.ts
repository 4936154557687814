/** Tokens for what the composition root builds beyond the domain ports. */
export const CONFIG = Symbol.for('sync-scheduler/Config');
export const LOGGER = Symbol.for('sync-scheduler/Logger');
export const METRICS = Symbol.for('sync-scheduler/Metrics');
export const SCHEDULER = Symbol.for('sync-scheduler/SchedulingService');
/** The agent registry that reads PostgreSQL directly, before the cache decorates it. */
export const SOURCE_AGENT_REGISTRY = Symbol.for('sync-scheduler/SourceAgentRegistry');
export const REDIS_CONNECTION = Symbol.for('sync-scheduler/RedisConnection');
export const HISTORY_RECORDER = Symbol.for('sync-scheduler/HistoryRecorder');
export const USE_CASES = Symbol.for('sync-scheduler/UseCases');
/** The per-agent state use cases; resolves to undefined while no AgentStateStore is bound. */
export const AGENT_USE_CASES = Symbol.for('sync-scheduler/AgentUseCases');
/** The dashboard's charts and per-agent outcomes. */
export const CHART_USE_CASES = Symbol.for('sync-scheduler/ChartUseCases');
export const FOLLOW_DESIRED_STATE = Symbol.for('sync-scheduler/FollowDesiredState');
/** Every DependencyProbe (multi-bound): /readyz and the boot wait check the same ones. */
export const DEPENDENCY_PROBE = Symbol.for('sync-scheduler/DependencyProbe');
/** Called when shutdown gives up waiting for a tick (multi-bound): cut what feeds it. */
export const ON_DRAIN_TIMEOUT = Symbol.for('sync-scheduler/OnDrainTimeout');
/** Told of every leadership change after the scheduler (multi-bound), e.g. the history writer. */
export const LEADERSHIP_FOLLOWER = Symbol.for('sync-scheduler/LeadershipFollower');
/** The two run logs the scheduler's RunLog takes the newer of (PostgreSQL and Redis). */
export const POSTGRES_RUN_LOG = Symbol.for('sync-scheduler/PostgresRunLog');
export const REDIS_RUN_LOG = Symbol.for('sync-scheduler/RedisRunLog');
/** The history writer's SyncHistory and AgentStateStore, on a pool of their own. */
export const WRITER_SYNC_HISTORY = Symbol.for('sync-scheduler/WriterSyncHistory');
export const WRITER_AGENT_STATE = Symbol.for('sync-scheduler/WriterAgentState');
