import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const CLUSTER = 'redis+cluster://:hunter2@127.0.0.1:7001,127.0.0.1:7002';

describe('loadConfig: Redis and the queue prefix', () => {
  describe('Redis', () => {
    it('keeps one Redis and the prefix workers use by default', () => {
      expect(loadConfig({})).toMatchObject({
        redisUrl: 'redis://127.0.0.1:6379',
        queuePrefix: 'bull',
        queueName: 'operations',
      });
    });

    it('takes a cluster URL with a hash-tagged prefix', () => {
      expect(loadConfig({ REDIS_URL: CLUSTER, QUEUE_PREFIX: '{bull}' })).toMatchObject({
        redisUrl: CLUSTER,
        queuePrefix: '{bull}',
      });
    });

    it('takes the hash tag in the queue name too', () => {
      expect(
        loadConfig({ REDIS_URL: CLUSTER, QUEUE_PREFIX: 'bull', QUEUE_NAME: '{operations}' }),
      ).toMatchObject({ queuePrefix: 'bull', queueName: '{operations}' });
    });

    it('gives the prefix no default on a cluster: it must be the workers’ one', () => {
      expect(() => loadConfig({ REDIS_URL: CLUSTER })).toThrow(
        /QUEUE_PREFIX must be set on a Redis Cluster .*hash tag such as \{bull\}/,
      );
    });

    it('refuses a prefix without a hash tag on a cluster', () => {
      const load = () => loadConfig({ REDIS_URL: CLUSTER, QUEUE_PREFIX: 'bull' });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/QUEUE_PREFIX must carry a hash tag on a Redis Cluster/);
    });

    it('names REDIS_URL and the reason for a URL it cannot use, never the URL', () => {
      const load = () =>
        loadConfig({ REDIS_URL: 'redis+cluster://:hunter2@h1:7001/2', QUEUE_PREFIX: '{b}' });
      expect(load).toThrow(/REDIS_URL must name no database in the cluster form/);
      expect(load).not.toThrow(/hunter2/);
      expect(() => loadConfig({ REDIS_URL: 'postgres://h/db' })).toThrow(/REDIS_URL must start/);
    });
  });
});
