import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../../src/adapters/queue/redis-client.js';

const clients: RedisClient[] = [];
const aClient = (...args: Parameters<typeof createRedisClient>): RedisClient => {
  const client = createRedisClient(...args);
  clients.push(client);
  return client;
};

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe('createRedisClient', () => {
  it('connects to one Redis for a redis:// URL', () => {
    const client = aClient('redis://127.0.0.1:6379', { lazyConnect: true });
    expect(client).toBeInstanceOf(Redis);
  });

  it('splits the options of a cluster client into the cluster’s and its nodes’', () => {
    const retryStrategy = (attempt: number) => attempt * 10;
    const client = aClient('rediss+cluster://app:pw@127.0.0.1:7001,127.0.0.1:7002', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy,
      commandTimeout: 1_000,
      connectionName: 'x',
    });

    expect(client).toBeInstanceOf(Cluster);
    const { options } = client as Cluster;
    expect(options).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
    });
    expect(options.redisOptions).toMatchObject({
      commandTimeout: 1_000,
      connectionName: 'x',
      username: 'app',
      password: 'pw',
      tls: {},
    });
    expect(options.redisOptions).not.toHaveProperty('retryStrategy');
    expect(options.redisOptions).not.toHaveProperty('enableOfflineQueue');
  });

  it('keeps a fail-fast cluster client’s offline queue only while the cluster is not closed', () => {
    const client = aClient('redis+cluster://127.0.0.1:7001', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    }) as Cluster;
    expect(client.options.enableOfflineQueue).toBe(true); // commands sent while it connects wait

    client.emit('close');
    expect(client.options.enableOfflineQueue).toBe(false); // an outage: fail at once
    client.emit('ready');
    expect(client.options.enableOfflineQueue).toBe(true);
  });
});
