import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { proxyPostgres } from '../support/fault-harness.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { throughProxy } from '../support/tcp-proxy.js';
import { aPrefix, deletePrefix, eventually, TEST_JWT_SECRET } from '../support/service.js';

const ROOT = new URL('../..', import.meta.url);

/** The real entry point in a child process, as `npm start` would run it. */
function spawnService(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) =>
    lines.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  child.stderr.on('data', (chunk: Buffer) =>
    lines.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  return { child, lines };
}

describe('main.ts', () => {
  let db: TestDatabase;
  let prefix: string;

  beforeEach(async () => {
    db = await createTestDatabase({ migrate: false });
    prefix = aPrefix();
  });
  afterEach(async () => {
    await deletePrefix(prefix);
    await db.drop();
  });

  /** A replica of its own database and prefix that polls for the lease every 200 ms. */
  const serviceEnv = (databaseUrl: string): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    LEADER_POLL_MS: '200',
  });

  it('exits 0 on SIGTERM within 5 s, by itself, with no handle left open', async () => {
    const { child, lines } = spawnService(serviceEnv(db.url));
    const exited = once(child, 'exit');
    await eventually(() => lines.some((l) => l.includes('this replica now leads')), 20_000);
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect(lines.join('\n')).toContain('sync-scheduler stopped');
    expect(lines.join('\n')).not.toContain('exiting anyway');
  });

  it('exits 0 on SIGTERM while a request waits on a partitioned PostgreSQL', async () => {
    // RELIABILITY.md, finding 4: the request kept HTTP open past its 3 s, the pool waited for
    // the connection it held, and the 4.5 s deadline exited 1.
    const proxy = await proxyPostgres(db.url);
    try {
      const url = throughProxy(db.url, proxy);
      const { child, lines } = spawnService(serviceEnv(url));
      const exited = once(child, 'exit');
      await eventually(() => lines.some((l) => l.includes('this replica now leads')), 20_000);
      const port = /listening on port (\d+)/.exec(lines.join('\n'))?.[1];
      proxy.blackhole();
      // Scrapes read PostgreSQL (the breaker gauges): these wait on the partition.
      const waiting = [1, 2, 3].map(() =>
        fetch(`http://127.0.0.1:${port}/metrics`).then(
          (res) => res.status,
          () => 'closed',
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      // On failure, the replica's log says which component held shutdown up.
      expect(code, lines.slice(-30).join('\n')).toBe(0);
      expect(lines.join('\n')).not.toContain('exiting anyway');
      await Promise.all(waiting);
    } finally {
      await proxy.stop();
    }
  });

  // Each boot step in turn: SIGTERM the moment its log line appears. A step that armed a
  // timer or connection after shutdown began would keep the process alive until the 4.5 s
  // deadline, which exits 1 ("exiting anyway").
  const BOOT_STEPS: [string, RegExp, Record<string, string>][] = [
    ['listening', /listening on port/, {}],
    ['waiting for Redis', /redis is not reachable yet/, { REDIS_URL: 'redis://127.0.0.1:9' }],
    ['migrated', /migrations applied|database schema is up to date/, {}],
    ['following the desired state', /scheduler started with intervals/, {}],
  ];
  for (const [step, line, env] of BOOT_STEPS) {
    it(`exits 0 by itself on SIGTERM during boot: ${step}`, async () => {
      const { child, lines } = spawnService({
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        PORT: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        ...env,
      });
      const exited = once(child, 'exit');
      await eventually(() => lines.some((l) => line.test(l)), 20_000);
      const sentAt = Date.now();
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect({ code, output: lines.join('\n') }).toMatchObject({ code: 0 });
      expect(Date.now() - sentAt).toBeLessThan(4_500);
      expect(lines.join('\n')).not.toContain('exiting anyway');
    });
  }

  it('refuses a bad configuration with one line naming the variable', async () => {
    const { child, lines } = spawnService({ PORT: 'not-a-port', NODE_ENV: 'development' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/^Invalid configuration: PORT /)]);
  });
});
