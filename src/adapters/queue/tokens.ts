/** The BullMQ `Queue` that `BullMqJobQueue` writes to, built once by the composition root. */
export const BULLMQ_QUEUE = Symbol.for('sync-scheduler/BullMqQueue');

/**
 * The leader lease key (a string, the very key RedisLeaderElection is given), which
 * `BullMqJobQueue` checks against a fence's token atomically with every add.
 */
export const LEASE_KEY = Symbol.for('sync-scheduler/LeaseKey');

/** Told about every chunk the fence refused (`(info: FencedChunk) => void`), e.g. to count it. */
export const FENCED_CHUNK_LISTENER = Symbol.for('sync-scheduler/FencedChunkListener');
