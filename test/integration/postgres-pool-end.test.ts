import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool, endPool } from '../../src/adapters/postgres/pool.js';
import { proxyPostgres, throughProxy } from '../support/fault-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

const GRACE_MS = 200;
/** Far beyond the grace: a pool that waits for anything in the partition waits this long. */
const CONNECT_TIMEOUT_MS = 60_000;
const STILL_WAITING = 10_000;

/** `outcome` once `promise` settles within STILL_WAITING ms, else `late`. */
const within = (promise: Promise<unknown>, outcome: string, late: string) =>
  Promise.race([
    promise.then(() => outcome),
    new Promise((resolve) => setTimeout(resolve, STILL_WAITING, late)),
  ]);

/** 'ended' if the pool ended in time; the partition never lets go on its own. */
const endedInTime = (pool: pg.Pool) => within(endPool(pool, GRACE_MS), 'ended', 'still waiting');

/** A pool through `proxy`, whose own connection timeout never comes into it. */
const poolThrough = (db: TestDatabase, proxy: TcpProxy) =>
  createPool(throughProxy(db.url, proxy), { connectionTimeoutMs: CONNECT_TIMEOUT_MS });

// Shutdown ends the pools with endPool (src/adapters/postgres/module.ts); a pool that waits on
// a partitioned server keeps the process past its shutdown deadline, which exits 1.
describe('endPool while PostgreSQL is partitioned', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('cuts a connected client whose query waits on the partition', async () => {
    const proxy = await proxyPostgres(db.url);
    try {
      const pool = poolThrough(db, proxy);
      await pool.query('select 1');
      proxy.blackhole();
      const query = pool.query('select 1').then(
        () => 'answered',
        () => 'failed',
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // sent, held by the partition
      expect(await endedInTime(pool)).toBe('ended');
      expect(await query).toBe('failed');
    } finally {
      await proxy.stop();
    }
  });

  // pg-pool ends an idle client with client.end(): a goodbye the partitioned server never
  // confirms. Its socket must close all the same (it does: pg ends the socket's writing side
  // and does not wait for the server).
  it('closes the socket of an idle client the partition keeps from saying goodbye', async () => {
    const proxy = await proxyPostgres(db.url);
    try {
      const pool = poolThrough(db, proxy);
      const client = await pool.connect();
      const socketClosed = once(client, 'end');
      client.release();
      proxy.blackhole();
      expect(await endedInTime(pool)).toBe('ended');
      expect(await within(socketClosed, 'closed', 'still open')).toBe('closed');
    } finally {
      await proxy.stop();
    }
  });

  // The CI run of 2026-12-03 09:38 (shutdown.test.ts, "exits 0 on SIGTERM while a request
  // waits on a partitioned PostgreSQL"): a client still opening its connection was not cut,
  // and the pool waited for its 5 s connection timeout.
  it('cuts a client still opening its connection into the partition', async () => {
    const proxy = await proxyPostgres(db.url);
    try {
      proxy.blackhole();
      const pool = poolThrough(db, proxy);
      const query = pool.query('select 1').then(
        () => 'answered',
        () => 'failed',
      );
      // The pool opens a connection for the query; the partition holds its handshake.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await endedInTime(pool)).toBe('ended');
      expect(await query).toBe('failed');
    } finally {
      await proxy.stop();
    }
  });
});
