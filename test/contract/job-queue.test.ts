import { InMemoryJobQueue } from '../../src/adapters/memory/in-memory-job-queue.js';
import { BullMqJobQueue } from '../../src/adapters/queue/bullmq-job-queue.js';
import { ManualWorker } from '../support/bullmq-worker.js';
import { createTestQueue } from '../support/redis.js';
import { describeJobQueueContract } from './job-queue.contract.js';

describeJobQueueContract('InMemoryJobQueue', async () => {
  let holder: string | null = null;
  const queue = new InMemoryJobQueue(() => holder);
  return {
    queue,
    setLeaseHolder: async (token) => {
      holder = token;
    },
    startJob: async (type, userId) => queue.start(type, userId),
    completeJob: async (type, userId) => queue.complete(type, userId),
    cleanup: async () => {},
  };
});

// Jobs are started and completed by a real BullMQ Worker under the same key prefix.
describeJobQueueContract('BullMqJobQueue', async () => {
  const test = await createTestQueue();
  const worker = new ManualWorker(test);
  const leaseKey = `${test.prefix}:${test.queueName}:sync-scheduler:leader`;
  return {
    queue: new BullMqJobQueue(test.queue, leaseKey),
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
