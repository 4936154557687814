import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeQueue, createBullMqQueue } from '../../src/adapters/queue/create-queue.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestQueue {
  readonly queue: Queue;
  readonly connection: Redis;
  readonly prefix: string;
  readonly queueName: string;
  /** Closes the queue and its connection and deletes every key under `prefix`. */
  cleanup(): Promise<void>;
}

let counter = 0;

/** A queue under a key prefix nobody else uses, so tests never see each other's jobs. */
export async function createTestQueue(): Promise<TestQueue> {
  const prefix = `test-${process.pid}-${++counter}-${randomBytes(4).toString('hex')}`;
  const queueName = 'operations';
  const handle = createBullMqQueue({ redisUrl: TEST_REDIS_URL, queueName, prefix });
  const { queue, connection } = handle;
  const cleanup = async (): Promise<void> => {
    try {
      await queue.close();
      await deleteKeys(connection, prefix);
    } finally {
      await closeQueue(handle);
    }
  };
  try {
    await connection.ping();
  } catch (error) {
    await closeQueue(handle);
    throw error;
  }
  return { queue, connection, prefix, queueName, cleanup };
}

/** SCAN + UNLINK: never KEYS, never FLUSHDB — the Redis is shared. */
export async function deleteKeys(connection: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await connection.unlink(...keys);
  } while (cursor !== '0');
}
