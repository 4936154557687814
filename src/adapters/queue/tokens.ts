/** The BullMQ `Queue` that `BullMqJobQueue` writes to, built once by the composition root. */
export const BULLMQ_QUEUE = Symbol.for('sync-scheduler/BullMqQueue');
