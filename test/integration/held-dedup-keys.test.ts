import { afterEach, describe, expect, it, vi } from 'vitest';
import { FENCED } from '../../src/adapters/queue/fenced-add.js';
import { heldDedupKeys } from '../../src/adapters/queue/held-dedup-keys.js';
import { schedulerKey } from '../../src/adapters/queue/keys.js';
import { createTestQueue, TEST_REDIS_URL, type TestQueue } from '../support/redis.js';
import {
  aClusterPrefix,
  REDIS_CLUSTER_UNAVAILABLE,
  startRedisCluster,
  TEST_REDIS_CLUSTER_URL,
} from '../support/redis-cluster.js';

if (!REDIS_CLUSTER_UNAVAILABLE) startRedisCluster();

const targets = [
  { name: 'one Redis', redisUrl: TEST_REDIS_URL, prefix: undefined },
  ...(REDIS_CLUSTER_UNAVAILABLE
    ? []
    : [{ name: 'a Redis Cluster', redisUrl: TEST_REDIS_CLUSTER_URL, prefix: aClusterPrefix }]),
];

describe.each(targets)('heldDedupKeys on $name', ({ redisUrl, prefix }) => {
  let test: TestQueue;
  const dedupKey = (id: string) => `${test.queue.keys.de}:${id}`;
  /** A deduplication key held by a job hash that exists, as BullMQ leaves it. */
  const holdBy = async (id: string, jobId: string) => {
    await test.connection.set(dedupKey(id), jobId);
    await test.connection.hset(test.queue.toKey(jobId), 'name', 'sync-orders');
  };

  const open = async () => {
    test = await createTestQueue({ redisUrl, ...(prefix ? { prefix } : {}) });
  };

  afterEach(async () => {
    vi.restoreAllMocks();
    await test.cleanup();
  });

  it('answers held for a key whose job exists or that expires, free for a missing or stale one', async () => {
    await open();
    await holdBy('held', 'j-1');
    await test.connection.set(dedupKey('stale'), 'gone'); // no TTL, its job removed
    await test.connection.set(dedupKey('ttl'), 'gone', 'PX', 60_000);

    expect(await heldDedupKeys(test.queue, ['held', 'stale', 'ttl', 'free'])).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('answers free for a key whose holder changed after the MGET, so BullMQ decides', async () => {
    await open();
    await holdBy('changed', 'j-2');
    await holdBy('appeared', 'j-3');
    // The MGET saw an older holder of one key and none of the other.
    vi.spyOn(test.connection, 'mget').mockResolvedValue(['j-1', null] as never);

    expect(await heldDedupKeys(test.queue, ['changed', 'appeared'])).toEqual([false, false]);
  });

  it('answers FENCED, whatever the keys, unless the lease key holds the token', async () => {
    await open();
    const leaseKey = schedulerKey(test.prefix, test.queueName, 'leader');
    await holdBy('held', 'j-1');
    const fence = { leaseKey, token: 'replica-a:3' };

    expect(await heldDedupKeys(test.queue, ['held'], fence)).toBe(FENCED);
    await test.connection.set(leaseKey, 'replica-a:3');
    expect(await heldDedupKeys(test.queue, ['held', 'free'], fence)).toEqual([true, false]);
    expect(await heldDedupKeys(test.queue, [], fence)).toEqual([]);
  });
});
