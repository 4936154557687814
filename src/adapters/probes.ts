import type { Redis } from 'ioredis';
import type { Pool } from 'pg';

/** One dependency's liveness check, shared by /readyz and the boot-time wait. */
export interface DependencyProbe {
  readonly name: 'postgres' | 'redis';
  /** Resolves when the dependency answers within `timeoutMs`, else rejects. */
  check(timeoutMs?: number): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  // The loser must not become an unhandled rejection later.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const postgresProbe = (pool: Pool): DependencyProbe => ({
  name: 'postgres',
  check: async (timeoutMs = 1000) => {
    await withTimeout(pool.query('select 1'), timeoutMs, 'postgres');
  },
});

export const redisProbe = (connection: Redis): DependencyProbe => ({
  name: 'redis',
  check: async (timeoutMs = 1000) => {
    await withTimeout(connection.ping(), timeoutMs, 'redis');
  },
});
