import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  inspectQueue,
  msUntil,
  proxyRedis,
  report,
  spawnMain,
  throughProxy,
} from '../support/fault-harness.js';
import { insertManyAgents } from '../support/fault-fixture.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { aPrefix, deletePrefix, TEST_JWT_SECRET } from '../support/service.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

const AGENTS = 10_000;
const FULL_CYCLE = 4 * AGENTS + 2;

describe('fault: SIGTERM during a 10,000-agent tick', () => {
  let db: TestDatabase;
  let prefix: string;
  let redis: Redis;
  let main: ReturnType<typeof spawnMain> | undefined;
  let proxy: TcpProxy | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
    await insertManyAgents(db, AGENTS);
    prefix = aPrefix();
    redis = new Redis(TEST_REDIS_URL);
  });
  afterEach(async () => {
    if (main && main.child.exitCode === null && main.child.signalCode === null) {
      main.child.kill('SIGKILL');
      await main.exited;
    }
    redis.disconnect();
    await proxy?.stop();
    proxy = undefined;
    await deletePrefix(prefix);
    await db.drop();
  });

  // Direct: the tick (~2 s for 40,000 jobs here) may or may not finish within the 2 s drain.
  // Through a proxy adding 100 ms each way it cannot, so shutdown closes the queue under it,
  // between or during addBulk pipelines.
  it.each([
    { latencyMs: null, title: 'Redis direct' },
    { latencyMs: 100, title: 'Redis 100 ms away' },
  ])(
    '$title: exits 0 within 5 s and leaves only complete, contract-shaped jobs and no duplicate',
    async ({ latencyMs }) => {
      if (latencyMs !== null) {
        proxy = await proxyRedis();
        proxy.slow(latencyMs);
      }
      main = spawnMain({
        DATABASE_URL: db.url,
        REDIS_URL: proxy ? throughProxy(TEST_REDIS_URL, proxy) : TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        PORT: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        LEADER_POLL_MS: '200',
        LOG_LEVEL: 'info',
      });
      const { child, lines, logs, exited } = main;

      // Every type never ran: on leadership all four agent types fan out 10,000 jobs each, in
      // chunks of 1,000 per addBulk. The first chunk in Redis means the tick is in flight.
      const jobKeys = ['delayed', 'prioritized', 'wait'].map((s) => `${prefix}:operations:${s}`);
      const stored = async () => {
        const counts = await Promise.all(
          jobKeys.map((key) =>
            redis
              .type(key)
              .then((type) =>
                type === 'zset' ? redis.zcard(key) : type === 'list' ? redis.llen(key) : 0,
              ),
          ),
        );
        return counts.reduce((a, b) => a + b, 0);
      };
      await msUntil(async () => (await stored()) > 2, 30_000, 5);
      const atSignal = await stored();
      const ticksDoneAtSignal = logs().filter((l) => l.event === 'tick').length;
      const sentAt = performance.now();
      child.kill('SIGTERM');
      const { code, signal, at } = await exited;
      const exitMs = Math.round(at - sentAt);

      const log = lines.join('\n');
      const tail = [
        `exit after ${exitMs} ms; the child's last log lines:`,
        ...logs()
          .slice(-20)
          .map((l) => `${String(l.time)} ${String(l.level)} ${String(l.msg)}`),
      ].join('\n');
      expect({ code, signal }, tail).toEqual({ code: 0, signal: null });
      expect(exitMs, tail).toBeLessThan(5_000);
      expect(ticksDoneAtSignal).toBeLessThan(6);
      expect(log).toContain('SIGTERM received: shutting down');
      expect(log).toContain('sync-scheduler stopped');
      expect(log).not.toContain('exiting anyway');
      expect(log).not.toMatch(/unhandled promise rejection/i);

      const queue = await inspectQueue(prefix);
      expect(queue.malformed).toEqual([]);
      expect(queue.orphans).toEqual([]);
      expect(queue.danglingDedupKeys).toEqual([]);
      expect(queue.duplicates).toEqual([]);
      expect(queue.pending).toBeGreaterThan(0);
      expect(queue.pending).toBeLessThanOrEqual(FULL_CYCLE);
      const ticks = logs().filter((l) => l.event === 'tick' || l.event === 'tick_failed');

      await report(
        `sigterm-mid-tick (Redis ${latencyMs === null ? 'direct' : `+${latencyMs} ms each way`})`,
        {
          agents: AGENTS,
          jobsInRedisAtSignal: atSignal,
          ticksCompletedAtSignal: ticksDoneAtSignal,
          exitCode: code,
          exitMs,
          drainTimedOut: log.includes('a tick was still in flight'),
          tickOutcomes: ticks.map(
            (l) => `${String(l.type)}:${String(l.event)}:${String(l.enqueued ?? l.stage)}`,
          ),
          jobsLeft: queue.pending,
          ofFullCycle: FULL_CYCLE,
          byName: queue.byName,
          malformed: queue.malformed.length,
          orphans: queue.orphans.length,
          duplicates: queue.duplicates.length,
        },
      );
    },
    60_000,
  );
});
