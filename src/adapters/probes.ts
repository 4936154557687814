import type { Pool } from 'pg';
import type { RedisClient } from './queue/redis-client.js';
import { withTimeout } from './with-timeout.js';

/** One dependency's liveness check, shared by /readyz and the boot-time wait. */
export interface DependencyProbe {
  readonly name: 'postgres' | 'redis';
  /** Resolves when the dependency answers within `timeoutMs`, else rejects. */
  check(timeoutMs?: number): Promise<void>;
}

export const postgresProbe = (pool: Pool): DependencyProbe => ({
  name: 'postgres',
  check: async (timeoutMs = 1000) => {
    await withTimeout(pool.query('select 1'), timeoutMs, 'postgres');
  },
});

/**
 * While the producer connection is down, a command fails with ioredis' "Reached the max retries
 * per request limit (which is 0)": true but useless to an operator. Say why the connection is
 * down instead (e.g. "connect ECONNREFUSED 127.0.0.1:6379").
 */
export const redisProbe = (connection: RedisClient): DependencyProbe => {
  let lastError: Error | undefined;
  connection.on('error', (error: Error) => (lastError = error));
  connection.on('ready', () => (lastError = undefined));
  return {
    name: 'redis',
    check: async (timeoutMs = 1000) => {
      try {
        await withTimeout(connection.ping(), timeoutMs, 'redis');
      } catch (error) {
        if (connection.status === 'ready' || !lastError) throw error;
        throw new Error(`redis connection ${connection.status}: ${lastError.message}`, {
          cause: error,
        });
      }
    },
  };
};
