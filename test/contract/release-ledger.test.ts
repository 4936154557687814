import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { InMemoryReleaseLedger } from '../../src/adapters/memory/in-memory-release-ledger.js';
import { RedisReleaseLedger } from '../../src/adapters/queue/redis-release-ledger.js';
import { deleteKeys, TEST_REDIS_URL } from '../support/redis.js';
import { describeReleaseLedgerContract } from './release-ledger.contract.js';

describeReleaseLedgerContract('InMemoryReleaseLedger', async () => ({
  ledger: new InMemoryReleaseLedger(1_000),
  bucketMs: 1_000,
  cleanup: async () => {},
}));

describeReleaseLedgerContract('InMemoryReleaseLedger on a scaled minute', async () => ({
  ledger: new InMemoryReleaseLedger(10),
  bucketMs: 10,
  cleanup: async () => {},
}));

/** Every key of this file lives under this prefix; removed afterwards (never FLUSH: shared). */
const PREFIX = `test-release-ledger-${process.pid}-${randomBytes(4).toString('hex')}`;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await deleteKeys(redis, PREFIX);
  redis.disconnect();
});

const aLeaseKey = (): string => `${PREFIX}:${randomBytes(6).toString('hex')}:leader`;

describeReleaseLedgerContract('RedisReleaseLedger', async () => ({
  ledger: new RedisReleaseLedger(redis, aLeaseKey(), 1_000),
  bucketMs: 1_000,
  cleanup: async () => {},
}));

describeReleaseLedgerContract('RedisReleaseLedger on a scaled minute', async () => ({
  ledger: new RedisReleaseLedger(redis, aLeaseKey(), 10),
  bucketMs: 10,
  cleanup: async () => {},
}));
