import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { closeQueue, createBullMqQueue } from '../../src/adapters/queue/create-queue.js';
import { keyHolders, type RedisClient } from '../../src/adapters/queue/redis-client.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestQueue {
  readonly queue: Queue;
  readonly connection: RedisClient;
  /** The Redis (or Redis Cluster) it lives on; a worker for it connects here. */
  readonly redisUrl: string;
  readonly prefix: string;
  readonly queueName: string;
  /** Closes the queue and its connection and deletes every key under `prefix`. */
  cleanup(): Promise<void>;
}

export interface TestQueueOptions {
  readonly redisUrl?: string;
  /** Wraps the generated prefix, e.g. in a hash tag for a cluster: `(p) => \`{${p}}\``. */
  readonly prefix?: (unique: string) => string;
}

let counter = 0;

/** A queue under a key prefix nobody else uses, so tests never see each other's jobs. */
export async function createTestQueue(options: TestQueueOptions = {}): Promise<TestQueue> {
  const unique = `test-${process.pid}-${++counter}-${randomBytes(4).toString('hex')}`;
  const prefix = options.prefix?.(unique) ?? unique;
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const queueName = 'operations';
  const handle = createBullMqQueue({ redisUrl, queueName, prefix });
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
  return { queue, connection, redisUrl, prefix, queueName, cleanup };
}

/**
 * SCAN + UNLINK: never KEYS, never FLUSHDB — the Redis is shared. On a cluster every master is
 * scanned (each holds its own slots only), one key per UNLINK (keys of several slots may match).
 */
export async function deleteKeys(connection: RedisClient, prefix: string): Promise<void> {
  if (connection.status !== 'ready') await connection.ping(); // a cluster lists its nodes once ready
  for (const node of keyHolders(connection)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      if (connection.isCluster) {
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        await pipeline.exec();
      } else {
        await node.unlink(...keys);
      }
    } while (cursor !== '0');
  }
}
