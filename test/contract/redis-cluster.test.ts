import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { BullMqJobQueue } from '../../src/adapters/queue/bullmq-job-queue.js';
import { schedulerKey } from '../../src/adapters/queue/keys.js';
import { createRedisClient, type RedisClient } from '../../src/adapters/queue/redis-client.js';
import { RedisLeaderElection } from '../../src/adapters/queue/redis-leader-election.js';
import { RedisReleaseLedger } from '../../src/adapters/queue/redis-release-ledger.js';
import { RedisRunLog } from '../../src/adapters/queue/redis-run-log.js';
import { dedupKey } from '../../src/domain/sync-jobs.js';
import { ManualWorker } from '../support/bullmq-worker.js';
import { createTestQueue, deleteKeys } from '../support/redis.js';
import {
  aClusterPrefix,
  REDIS_CLUSTER_UNAVAILABLE,
  startRedisCluster,
  TEST_REDIS_CLUSTER_URL,
} from '../support/redis-cluster.js';
import { describeJobQueueContract } from './job-queue.contract.js';
import { describeLeaderElectionContract } from './leader-election.contract.js';
import { describeReleaseLedgerContract } from './release-ledger.contract.js';
import { describeRunLogContract } from './run-log.contract.js';

// The same contracts as against one Redis (job queue, leader election, run log, release ledger),
// on a three-master cluster: every script must declare its keys, and all of them share a slot.
const unavailable = REDIS_CLUSTER_UNAVAILABLE;
if (unavailable) {
  describe('adapters on a Redis Cluster', () => {
    it.skip(unavailable, () => {});
  });
} else {
  startRedisCluster();
  describeClusterContracts();
}

function describeClusterContracts(): void {
  const url = TEST_REDIS_CLUSTER_URL;
  /** Keys of the election and run-log suites; each queue of the job-queue suite has its own. */
  const prefix = aClusterPrefix(`test-cluster-${process.pid}-${randomBytes(4).toString('hex')}`);
  const aKey = (): string => `${prefix}:${randomBytes(6).toString('hex')}:leader`;
  let admin: RedisClient | undefined;
  const adminClient = (): RedisClient => (admin ??= createRedisClient(url));

  afterAll(async () => {
    if (!admin) return;
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  const queueOnCluster = async () => {
    // Each test's queue under its own hash tag: the tests spread over the three masters.
    const test = await createTestQueue({ redisUrl: url, prefix: aClusterPrefix });
    const worker = new ManualWorker(test);
    const leaseKey = schedulerKey(test.prefix, test.queueName, 'leader');
    return { test, worker, leaseKey, queue: new BullMqJobQueue(test.queue, leaseKey) };
  };

  describeJobQueueContract('BullMqJobQueue on a Redis Cluster', async () => {
    const { test, worker, leaseKey, queue } = await queueOnCluster();
    return {
      queue,
      setLeaseHolder: async (token) => {
        if (token === null) await test.connection.del(leaseKey);
        else await test.connection.set(leaseKey, token, 'PX', 60_000);
      },
      startJob: async (type, userId) => {
        await worker.start(type, userId);
      },
      completeJob: (type, userId) => worker.complete(type, userId),
      cleanup: async () => {
        try {
          await worker.close();
        } finally {
          await test.cleanup();
        }
      },
    };
  });

  describe('BullMqJobQueue on a Redis Cluster, held keys', () => {
    it('sends a job whose key names a job that no longer exists, as BullMQ recovers that key', async () => {
      const { test, worker, queue } = await queueOnCluster();
      try {
        await test.connection.set(`${test.queue.keys.de}:${dedupKey('orders', 'a-1')}`, 'gone');
        const job = { type: 'orders' as const, userId: 'a-1', timestamp: 1 };

        expect(await queue.enqueue([job])).toEqual({ added: 1, deduplicated: 0, fenced: 0 });
        expect(await queue.enqueue([job])).toEqual({ added: 0, deduplicated: 1, fenced: 0 });
      } finally {
        await worker.close();
        await test.cleanup();
      }
    });
  });

  describeLeaderElectionContract('RedisLeaderElection on a Redis Cluster', async () => ({
    election: new RedisLeaderElection({ redisUrl: url, key: aKey(), pollMs: 200, leaseMs: 1_000 }),
    cleanup: async () => {},
  }));

  describeRunLogContract(
    'RedisRunLog on a Redis Cluster',
    async () => ({ runLog: new RedisRunLog(adminClient(), aKey()), cleanup: async () => {} }),
    { raiseOnly: true },
  );

  describeReleaseLedgerContract('RedisReleaseLedger on a Redis Cluster', async () => ({
    ledger: new RedisReleaseLedger(adminClient(), aKey(), 1_000),
    bucketMs: 1_000,
    cleanup: async () => {},
  }));
}
