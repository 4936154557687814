import { describe, expect, it } from 'vitest';
import { isClusterUrl, parseRedisUrl } from '../../../src/adapters/queue/redis-url.js';

describe('parseRedisUrl', () => {
  it('hands a single-node URL to ioredis as it is', () => {
    expect(parseRedisUrl('redis://:pw@127.0.0.1:6379/2')).toEqual({
      kind: 'single',
      url: 'redis://:pw@127.0.0.1:6379/2',
    });
    expect(parseRedisUrl('rediss://cache:6380').kind).toBe('single');
  });

  it('reads the seed nodes, the credentials and TLS of a cluster URL', () => {
    expect(parseRedisUrl('rediss+cluster://app:p%40ss@10.0.0.1:7001,[::1]:7002,node-3/')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7001 },
        { host: '::1', port: 7002 },
        { host: 'node-3', port: 6379 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it('takes a password without a user, and no credentials at all', () => {
    expect(parseRedisUrl('redis+cluster://:secret@h1:7001')).toMatchObject({
      username: undefined,
      password: 'secret',
      tls: false,
    });
    expect(parseRedisUrl('redis+cluster://h1:7001')).toMatchObject({
      username: undefined,
      password: undefined,
    });
  });

  it.each([
    ['not a URL', 'nonsense', /is not a URL/],
    ['another scheme', 'http://h:1', /must start with redis:\/\//],
    ['a database on a cluster', 'redis+cluster://h1:7001/3', /database 0 only/],
    ['a query on a cluster', 'redis+cluster://h1:7001?db=1', /no query/],
    ['no host', 'redis+cluster://:pw@', /at least one host:port/],
    ['a bad port', 'redis+cluster://h1:7001,h2:99999', /not host:port/],
    ['an empty node', 'redis+cluster://h1:7001,,h2:7002', /not host:port/],
  ])('refuses %s, without repeating the URL', (_, url, reason) => {
    const run = () => parseRedisUrl(url.replace('pw', 'hunter2'));
    expect(run).toThrow(reason);
    expect(run).not.toThrow(/hunter2/);
  });
});

describe('isClusterUrl', () => {
  it('tells the cluster form by its scheme', () => {
    expect(isClusterUrl('redis+cluster://h:1')).toBe(true);
    expect(isClusterUrl('REDISS+CLUSTER://h:1')).toBe(true);
    expect(isClusterUrl('redis://h:1')).toBe(false);
  });
});
