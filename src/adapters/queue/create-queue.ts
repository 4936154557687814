import { Queue } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { createRedisClient, type RedisClient } from './redis-client.js';

export interface BullMqQueueOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  readonly prefix: string;
  /** Connection and queue errors land here (log them); without it they are dropped. */
  readonly onError?: (error: Error) => void;
}

export interface BullMqQueueHandle {
  readonly queue: Queue;
  /** One Redis or a Cluster, by the URL (redis-url.ts). */
  readonly connection: RedisClient;
}

/** Entries BullMQ keeps in the queue's event stream (approximate trim). */
export const EVENT_STREAM_MAX_LEN = 100_000;

/** How long a closing connection may wait for Redis to close its side before it is cut. */
export const DISCONNECT_TIMEOUT_MS = 250;

/**
 * A producer connection that fails fast but heals by itself (ioredis 6 defaults would retry each
 * command over 20 reconnects, and BullMQ waits for 'ready' forever):
 * - `maxRetriesPerRequest: 0`: a command cut off mid-flight, or sent while Redis is away (it sits
 *   in the offline queue), is rejected at the next failed connect attempt: within ~2 s when the
 *   port refuses, instead of waiting for Redis forever. A blip shorter than one retry is absorbed.
 * - `commandTimeout`: hard 5 s cap per command, also for a half-open socket that never answers.
 * - `connectTimeout`: a blackholed host counts as a failed attempt after 3 s, not 10 s.
 * - `retryStrategy` always returns a delay (capped at 2 s), so the client never gives up.
 * - `disconnectTimeout`: `disconnect()` half-closes the socket and keeps a ref'd timer (ioredis
 *   default 2 s) until the server closes its side; under load that alone outlived the shutdown
 *   deadline (exit code 1 after SIGTERM mid-tick, test/fault/sigterm-mid-tick.test.ts).
 * The offline queue stays on, so commands sent while the first connect is in flight succeed.
 * On a Redis Cluster the same options apply to each node, see createRedisClient.
 * BullMQ asks `maxRetriesPerRequest: null` only of a Worker's blocking connection, not a Queue's;
 * so never hand this connection to a Worker. A rejected enqueue may still have reached Redis
 * (e.g. a timed-out command is sent later): harmless, the next tick sees it as deduplicated.
 */
export const PRODUCER_REDIS_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 0,
  commandTimeout: 5_000,
  connectTimeout: 3_000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  disconnectTimeout: DISCONNECT_TIMEOUT_MS,
};

/** Builds the queue synchronously; await readiness separately (e.g. `connection.ping()`). */
export function createBullMqQueue(options: BullMqQueueOptions): BullMqQueueHandle {
  const connection = createRedisClient(options.redisUrl, PRODUCER_REDIS_OPTIONS);
  const queue = new Queue(options.queueName, {
    connection,
    prefix: options.prefix,
    // Without these two BullMQ waits for 'ready' (forever while Redis is down at boot) and a
    // failed version check would leave the Queue unusable even after Redis comes back.
    skipWaitingForReady: true,
    skipVersionCheck: true,
    // The history writer resumes from a cursor in the event stream after a handover or a
    // PostgreSQL outage; BullMQ's default of ~10,000 entries (4-5 per job) is seconds at
    // fleet scale. 100,000 entries cost roughly 10-20 MB of Redis memory.
    streams: { events: { maxLen: EVENT_STREAM_MAX_LEN } },
  });
  // The queue re-emits its connection's errors: report each error object once.
  const seen = new WeakSet<Error>();
  const report = (error: Error): void => {
    if (seen.has(error)) return;
    seen.add(error);
    options.onError?.(error);
  };
  connection.on('error', report);
  queue.on('error', report);
  return { queue, connection };
}

/** Closes the queue, then the connection it shares (BullMQ never closes a connection it was given). */
export async function closeQueue({ queue, connection }: BullMqQueueHandle): Promise<void> {
  try {
    await queue.close();
  } finally {
    if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
    else connection.disconnect();
  }
}
