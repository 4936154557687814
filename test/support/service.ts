import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/adapters/observability/logger.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import { Service } from '../../src/service.js';
import { deleteKeys, TEST_REDIS_URL } from './redis.js';

export const TEST_JWT_SECRET = 'service-test-secret-0123456789abcdef-0123456789';

/** Settings for one service under test: its own database, its own BullMQ prefix, any port. */
export function testConfig(
  databaseUrl: string,
  prefix: string,
  env: NodeJS.ProcessEnv = {},
): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    LEADER_POLL_MS: '200',
    SETTINGS_RESYNC_MS: '1000',
    // The original spread (jobs within a minute of the tick): tests wait for workers.
    SPREAD_MODE: 'window',
    ...env,
  });
}

export const aPrefix = (): string => `svc-${process.pid}-${randomBytes(4).toString('hex')}`;

/** A Service whose log lines are kept (parsed) for assertions instead of printed. */
export function createTestService(config: Config, clock?: Clock) {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const service = new Service(config, {
    logger: createLogger('info', sink),
    ...(clock ? { clock } : {}),
  });
  return { service, logs };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Deletes everything a test service left under its prefix. */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** A JSON reply of the admin API. */
export interface ApiReply {
  readonly status: number;
  readonly body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Calls `/api/sync<path>` on `base` with a bearer token and an optional JSON body. */
export async function callAdminApi(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiReply> {
  const res = await fetch(`${base}/api/sync${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiReply['body'] };
}
