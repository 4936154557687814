import { describe, expect, it } from 'vitest';
import { isUnreachable, unreachableAs } from '../../../src/adapters/unreachable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isUnreachable', () => {
  it.each([
    ['a refused connect', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', withCode('ECONNRESET')],
    ['a timed-out socket', withCode('ETIMEDOUT')],
    ['a refused dual-stack connect', new AggregateError([withCode('ECONNREFUSED')], '')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg: query read timeout', new Error('Query read timeout')],
    ['pg: pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg: admin shutdown (57P01)', withCode('57P01')],
    ['pg: cannot connect now (57P03)', withCode('57P03')],
    ['pg: too many connections (53300)', withCode('53300')],
    ['pg: connection exception class 08', withCode('08006')],
    ['pg: statement timeout (57014)', withCode('57014')],
    ['ioredis: connection is closed', new Error('Connection is closed.')],
    [
      'ioredis: max retries',
      new Error('Reached the max retries per request limit (which is 0). Refer to ...'),
    ],
    ['ioredis: command timed out', new Error('Command timed out')],
    [
      'ioredis Cluster: not ready',
      new Error("Cluster isn't ready and enableOfflineQueue options is false"),
    ],
    ['ioredis Cluster: no node', new Error('None of startup nodes is available')],
    ['ioredis Cluster: no slot map', new Error('Failed to refresh slots cache.')],
    ['Redis Cluster: down', new Error('CLUSTERDOWN The cluster is down')],
    ['a cause that is unreachable', new Error('wrapped', { cause: withCode('ECONNREFUSED') })],
  ])('is true for %s', (_, error) => {
    expect(isUnreachable(error)).toBe(true);
  });

  it.each([
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['an unexpected constraint (23514)', withCode('23514', 'violates check constraint')],
    ['a unique violation (23505)', withCode('23505')],
    ['a syntax error (42601)', withCode('42601')],
    ['a string', 'connection'],
    ['null', null],
  ])('is false for %s', (_, error) => {
    expect(isUnreachable(error)).toBe(false);
  });
});

describe('unreachableAs', () => {
  it('turns an unreachable failure into an "unavailable" error with the message and cause', async () => {
    const cause = withCode('ECONNREFUSED');
    await expect(
      unreachableAs('The store is unreachable.', () => Promise.reject(cause)),
    ).rejects.toMatchObject({ kind: 'unavailable', message: 'The store is unreachable.', cause });
  });

  it('rethrows anything else as it is', async () => {
    const bug = new TypeError('boom');
    await expect(unreachableAs('x', () => Promise.reject(bug))).rejects.toBe(bug);
  });

  it('resolves with the value', async () => {
    expect(await unreachableAs('x', async () => 42)).toBe(42);
  });
});
