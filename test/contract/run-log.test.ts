import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRunLog } from '../../src/adapters/memory/in-memory-run-log.js';
import { NewestRunLog } from '../../src/adapters/newest-run-log.js';
import { PostgresRunLog } from '../../src/adapters/postgres/postgres-run-log.js';
import { FUTURE_TOLERANCE_MS, RedisRunLog } from '../../src/adapters/queue/redis-run-log.js';
import { deleteKeys, TEST_REDIS_URL } from '../support/redis.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { describeRunLogContract } from './run-log.contract.js';

describeRunLogContract('InMemoryRunLog', async () => ({
  runLog: new InMemoryRunLog(),
  cleanup: async () => {},
}));

const db = useTestDatabase();

describeRunLogContract('PostgresRunLog', async () => {
  await db().pool.query('delete from system.sync_last_runs');
  return { runLog: new PostgresRunLog(db().pool), cleanup: async () => {} };
});

/** Every key of this file lives under this prefix; removed afterwards (never FLUSH: shared). */
const PREFIX = `test-run-log-${process.pid}-${randomBytes(4).toString('hex')}`;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await deleteKeys(redis, PREFIX);
  redis.disconnect();
});

/** A lease key of its own per log, so tests never share a hash. */
const aRedisRunLog = (): RedisRunLog =>
  new RedisRunLog(redis, `${PREFIX}:${randomBytes(6).toString('hex')}:leader`);

/** A run log whose store is unreachable: every call rejects. */
function anUnreachableRunLog(): InMemoryRunLog {
  const log = new InMemoryRunLog();
  log.failWith(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  return log;
}

const noCleanup = async (): Promise<void> => {};

describeRunLogContract(
  'RedisRunLog',
  async () => ({ runLog: aRedisRunLog(), cleanup: noCleanup }),
  { raiseOnly: true },
);

describeRunLogContract(
  'NewestRunLog over PostgreSQL and Redis',
  async () => {
    await db().pool.query('delete from system.sync_last_runs');
    return {
      runLog: new NewestRunLog(new PostgresRunLog(db().pool), aRedisRunLog()),
      cleanup: noCleanup,
    };
  },
  { raiseOnly: true },
);

describeRunLogContract(
  'NewestRunLog with its first partner unreachable',
  async () => ({
    runLog: new NewestRunLog(anUnreachableRunLog(), aRedisRunLog()),
    cleanup: noCleanup,
  }),
  { raiseOnly: true },
);

describeRunLogContract('NewestRunLog with its second partner unreachable', async () => ({
  runLog: new NewestRunLog(new InMemoryRunLog(), anUnreachableRunLog()),
  cleanup: noCleanup,
}));

const T0 = Date.UTC(2026, 11, 1, 9, 30, 0, 123);
const MINUTE = 60_000;

describe('RedisRunLog', () => {
  it('keeps its hash beside the lease key', () => {
    expect(new RedisRunLog(redis, 'bull:operations:sync-scheduler:leader').key).toBe(
      'bull:operations:sync-scheduler:leader:last-runs',
    );
  });

  it("replaces a run later than Redis' clock (written by a clock that ran ahead)", async () => {
    const runLog = aRedisRunLog();
    const now = Date.now();
    await runLog.recordRun('orders', now + 24 * 60 * MINUTE);
    await runLog.recordRun('orders', now);
    expect((await runLog.loadLastRuns()).orders).toBe(now);

    // Within the tolerance a run ahead is still believed (replicas' clocks differ a little).
    await runLog.recordRun('ddt', now + FUTURE_TOLERANCE_MS / 2);
    await runLog.recordRun('ddt', now);
    expect((await runLog.loadLastRuns()).ddt).toBe(now + FUTURE_TOLERANCE_MS / 2);
  });

  it('ignores fields it did not write', async () => {
    const runLog = aRedisRunLog();
    await redis.hset(runLog.key, { orders: 'soon', payments: '17', prices: String(T0) });
    expect(await runLog.loadLastRuns()).toEqual({ prices: T0 });
  });

  it('rejects while Redis is unreachable', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      const runLog = new RedisRunLog(down, `${PREFIX}:down:leader`);
      await expect(runLog.loadLastRuns()).rejects.toThrow();
      await expect(runLog.recordRun('orders', T0)).rejects.toThrow();
    } finally {
      down.disconnect();
    }
  });
});

describe('NewestRunLog', () => {
  it('finds the run in Redis while PostgreSQL is unreachable', async () => {
    const redisRuns = aRedisRunLog();
    await redisRuns.recordRun('orders', T0);
    const failures: string[] = [];
    const runLog = new NewestRunLog(anUnreachableRunLog(), redisRuns, (partner) =>
      failures.push(partner),
    );

    expect(await runLog.loadLastRuns()).toEqual({ orders: T0 });
    expect(failures).toEqual(['first']);
  });

  it('takes per type the newer of the two', async () => {
    const postgres = new InMemoryRunLog();
    const redisRuns = aRedisRunLog();
    await postgres.recordRun('orders', T0 + MINUTE);
    await redisRuns.recordRun('orders', T0);
    await postgres.recordRun('ddt', T0);
    await redisRuns.recordRun('ddt', T0 + 2 * MINUTE);
    await redisRuns.recordRun('prices', T0);

    expect(await new NewestRunLog(postgres, redisRuns).loadLastRuns()).toEqual({
      orders: T0 + MINUTE,
      ddt: T0 + 2 * MINUTE,
      prices: T0,
    });
  });

  it('writes both, and a failing one is reported, not thrown', async () => {
    const postgres = anUnreachableRunLog();
    const redisRuns = aRedisRunLog();
    const failures: [string, unknown][] = [];
    const runLog = new NewestRunLog(postgres, redisRuns, (partner, error) =>
      failures.push([partner, error]),
    );

    await runLog.recordRun('customers', T0);

    expect(await redisRuns.loadLastRuns()).toEqual({ customers: T0 });
    expect(failures).toEqual([
      [
        'first',
        expect.objectContaining({
          kind: 'unavailable',
          cause: expect.objectContaining({ message: expect.stringMatching(/ECONNREFUSED/) }),
        }),
      ],
    ]);
    postgres.failWith(null);
    await runLog.recordRun('customers', T0 + MINUTE);
    expect(await postgres.loadLastRuns()).toEqual({ customers: T0 + MINUTE });
  });

  it('rejects only when both fail, with the first one’s error', async () => {
    const second = anUnreachableRunLog();
    second.failWith(new Error('redis is down'));
    const runLog = new NewestRunLog(anUnreachableRunLog(), second);

    const first = {
      kind: 'unavailable',
      cause: expect.objectContaining({ message: expect.stringMatching(/ECONNREFUSED/) }),
    };
    await expect(runLog.loadLastRuns()).rejects.toMatchObject(first);
    await expect(runLog.recordRun('orders', T0)).rejects.toMatchObject(first);
  });

  it('survives a listener that throws', async () => {
    const runLog = new NewestRunLog(anUnreachableRunLog(), new InMemoryRunLog(), () => {
      throw new Error('listener bug');
    });
    await runLog.recordRun('orders', T0);
    expect(await runLog.loadLastRuns()).toEqual({ orders: T0 });
  });
});
