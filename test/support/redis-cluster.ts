import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/redis-cluster.sh', import.meta.url));

/** Set it to test against a cluster of your own; then nothing is started here. */
const GIVEN_URL = process.env.TEST_REDIS_CLUSTER_URL;

/** The three masters scripts/redis-cluster.sh starts. */
export const TEST_REDIS_CLUSTER_URL =
  GIVEN_URL ?? 'redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';

const missingTools = (): string[] =>
  ['redis-server', 'redis-cli'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );

/**
 * Why the cluster tests cannot run here (null: they can). Only missing tools skip them: a
 * cluster that fails to start fails the tests instead (`startRedisCluster`).
 */
export const REDIS_CLUSTER_UNAVAILABLE: string | null = (() => {
  if (GIVEN_URL) return null;
  const missing = missingTools();
  return missing.length === 0
    ? null
    : `needs ${missing.join(' and ')} to start a Redis Cluster (Debian: apt-get install redis-server)`;
})();

/**
 * Starts the test cluster unless it already runs (the script is idempotent and serialises
 * concurrent callers); left running afterwards, like the shared PostgreSQL and Redis.
 */
export function startRedisCluster(): void {
  if (GIVEN_URL || REDIS_CLUSTER_UNAVAILABLE) return;
  try {
    execFileSync('bash', [SCRIPT, 'start'], { stdio: 'pipe', encoding: 'utf8', timeout: 60_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/redis-cluster.sh start failed: ${`${stdout}${stderr}`.trim()}`, {
      cause: error,
    });
  }
}

/** A key prefix of its own with a hash tag, so every key of one test shares a slot. */
export const aClusterPrefix = (unique: string): string => `{${unique}}`;
