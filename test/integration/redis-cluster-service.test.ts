import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { schedulerKey } from '../../src/adapters/queue/keys.js';
import {
  createRedisClient,
  keyHolders,
  type RedisClient,
} from '../../src/adapters/queue/redis-client.js';
import { AGENT_SYNC_TYPES, SHARED_SYNC_TYPES } from '../../src/domain/sync-types.js';
import type { Service } from '../../src/service.js';
import { ManualWorker } from '../support/bullmq-worker.js';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';
import { deleteKeys } from '../support/redis.js';
import {
  aClusterPrefix,
  REDIS_CLUSTER_UNAVAILABLE,
  startRedisCluster,
  TEST_REDIS_CLUSTER_URL,
} from '../support/redis-cluster.js';
import { aPrefix, createTestService, eventually, testConfig } from '../support/service.js';

const PENDING = ['waiting', 'prioritized', 'delayed'] as const;

const unavailable = REDIS_CLUSTER_UNAVAILABLE;
if (unavailable) {
  describe('Service on a Redis Cluster', () => {
    it.skip(unavailable, () => {});
  });
} else {
  startRedisCluster();
  describeServiceOnCluster();
}

function describeServiceOnCluster(): void {
  describe('Service on a Redis Cluster and real PostgreSQL', () => {
    let db: TestDatabase;
    let prefix: string;
    let client: RedisClient;
    let queue: Queue;
    let worker: ManualWorker | undefined;
    const services: Service[] = [];

    beforeEach(async () => {
      db = await createTestDatabase({ migrate: false });
      prefix = aClusterPrefix(aPrefix());
      client = createRedisClient(TEST_REDIS_CLUSTER_URL);
      queue = new Queue('operations', { connection: client, prefix });
    });

    afterEach(async () => {
      await Promise.all(services.splice(0).map((s) => s.stop()));
      await worker?.close();
      await queue.close();
      await deleteKeys(client, prefix);
      client.disconnect();
      await db.drop();
    });

    it('boots, leads and ticks: every job lands in the queue, all keys in its one slot', async () => {
      const clock = new ManualClock(Date.now());
      const config = testConfig(db.url, prefix, { REDIS_URL: TEST_REDIS_CLUSTER_URL });
      const { service, logs } = createTestService(config, clock);
      services.push(service);
      await service.start();
      await insertAgents(db.pool, [
        { id: 'a-1', username: 'anna' },
        { id: 'a-2', username: 'bruno' },
      ]);
      await eventually(() => service.scheduler.scheduleOf('orders').nextRunAt !== null);
      await clock.advanceAndSettle(0); // nothing ran yet: every type fires now

      const jobs = await eventually(async () => {
        const found = await queue.getJobs([...PENDING], 0, -1);
        return found.length === AGENT_SYNC_TYPES.length * 2 + SHARED_SYNC_TYPES.length
          ? found
          : null;
      }).then((found) => found ?? []);
      const orders = jobs.filter((job) => job.name === 'sync-orders');
      expect(orders.map((job) => job.data.userId).sort()).toEqual(['a-1', 'a-2']);
      expect(orders[0]?.opts).toMatchObject({ deduplication: { id: expect.any(String) } });
      expect(logs).toContainEqual(
        expect.objectContaining({ step: 'boot', redis: TEST_REDIS_CLUSTER_URL, prefix }),
      );

      // The lease the add scripts checked, and every other key, sit in the queue's one slot.
      const lease = await client.get(schedulerKey(prefix, 'operations', 'leader'));
      expect(lease).toBe(service.leadership.currentLease()?.token);
      const keys = (
        await Promise.all(
          keyHolders(client).map(async (node) => ({
            port: node.options.port,
            keys: await node.keys(`${prefix}:*`), // a test prefix: a handful of keys
          })),
        )
      ).filter((node) => node.keys.length > 0);
      expect(keys).toHaveLength(1);
      const slots = new Set(
        await Promise.all(keys[0]!.keys.map((key) => client.cluster('KEYSLOT', key))),
      );
      expect(slots.size).toBe(1);
      expect(keys[0]!.keys).toEqual(
        expect.arrayContaining([
          `${prefix}:operations:sync-scheduler:leader`,
          `${prefix}:operations:sync-scheduler:leader:term`,
          `${prefix}:operations:sync-scheduler:leader:last-runs`,
        ]),
      );

      // A worker finishes one job: the leader's history writer reads it from the event stream.
      worker = new ManualWorker({
        queue,
        connection: client,
        redisUrl: TEST_REDIS_CLUSTER_URL,
        prefix,
        queueName: 'operations',
        cleanup: async () => {},
      });
      await worker.complete('orders', 'a-1');
      await eventually(async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          "select count(*)::int as n from system.sync_events where sync_type = 'orders' and user_id = 'a-1' and success",
        );
        return rows[0]?.n === 1;
      }, 10_000);

      // The next orders tick: a-2 is still pending (deduplicated), a-1 is sent again.
      await clock.advanceAndSettle(10 * 60_000);
      await eventually(async () => {
        const pending = await queue.getJobs([...PENDING], 0, -1);
        return pending.filter((job) => job.name === 'sync-orders').length === 2;
      });
      // No warning from the producer, the lease or the history writer (all say where from).
      const fromRedis = /redis|cluster|slot|leader election|sync history/i;
      expect(
        logs.filter((line) => (line.level as number) >= 40 && fromRedis.test(String(line.msg))),
      ).toEqual([]);
    });
  });
}
