import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';

/** One Redis or a Redis Cluster: every client of this service is either, by `REDIS_URL`. */
export type RedisClient = Redis | Cluster;

/**
 * A client for `url` (redis-url.ts) with `options` written for one Redis; for a cluster they are
 * split into what the Cluster does and what each node connection does:
 * - `retryStrategy` becomes `clusterRetryStrategy` (the whole client reconnects: a node that
 *   went away is found again through the slot map, so nodes themselves do not retry);
 * - `enableOfflineQueue` and `lazyConnect` apply to the Cluster, everything else to its nodes.
 * A Cluster's offline queue has no limit at all (`maxRetriesPerRequest` and `commandTimeout`
 * only count once a command reached a node), so for a client asking to fail fast
 * (`maxRetriesPerRequest: 0`) the queue is on only until the cluster closes, and on again once
 * it is ready: commands sent while it first connects (BullMQ writes the queue's options then)
 * wait for it, and during an outage commands fail at once instead of hanging until the cluster
 * is back, as they would with one Redis. It is not simply off: a command for a node whose
 * connection is still opening would then be refused too, while the cluster is up.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'single') return new Redis(target.url, options);
  const { retryStrategy, enableOfflineQueue = true, lazyConnect, ...nodeOptions } = options;
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy ?? ((attempt) => Math.min(attempt * 200, 2_000)),
    redisOptions: {
      ...nodeOptions,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.tls ? { tls: {} } : {}),
    },
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
  };
  const cluster = new Cluster(
    target.nodes.map(({ host, port }) => ({ host, port })),
    clusterOptions,
  );
  if (enableOfflineQueue && options.maxRetriesPerRequest === 0) {
    // ioredis reads the option at every send.
    cluster.on('close', () => (cluster.options.enableOfflineQueue = false));
    cluster.on('ready', () => (cluster.options.enableOfflineQueue = true));
  }
  return cluster;
}

export const isCluster = (client: RedisClient): client is Cluster => client.isCluster;

/**
 * The connections that hold keys: the one Redis, or every master of a cluster (each serves its
 * own slots only, so a SCAN must visit all of them).
 */
export const keyHolders = (client: RedisClient): Redis[] =>
  isCluster(client) ? client.nodes('master') : [client];
