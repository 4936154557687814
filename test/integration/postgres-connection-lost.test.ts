import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/postgres/pool.js';
import { PostgresAgentStateStore } from '../../src/adapters/postgres/postgres-agent-state-store.js';
import { proxyPostgres } from '../support/fault-harness.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { throughProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * A connection that dies while a transaction holds it (RELIABILITY.md, finding 2): pg emits
 * 'error' on the checked-out client, and pg-pool listens only while the client is idle. Without
 * a listener of its own for the checkout, that 'error' is an uncaught exception: the leader's
 * history writer crashed the process at a PostgreSQL cut in the soak.
 */
describe('PostgresAgentStateStore when the connection dies mid-transaction', () => {
  const db = useTestDatabase();
  let proxy: TcpProxy;
  const uncaught: unknown[] = [];
  const record = (error: unknown): void => void uncaught.push(error);

  beforeAll(async () => {
    proxy = await proxyPostgres(db().url);
    process.prependListener('uncaughtException', record);
  });
  afterAll(async () => {
    process.off('uncaughtException', record);
    await proxy?.stop();
  });

  it('rejects the call, throws nothing uncaught, and works again once the database is back', async () => {
    const url = throughProxy(db().url, proxy);
    const pool = createPool(url);
    try {
      const store = new PostgresAgentStateStore(pool);
      expect(await store.startErpProbe(Date.now(), 1)).toBe(false); // a connection in the pool

      // Every reply late, so the transaction is mid-flight when the connection is cut.
      proxy.slow(400, 'downstream');
      const call = store.startErpProbe(Date.now(), 1);
      const settled = call.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      await proxy.stop();
      expect(await settled).toBeInstanceOf(Error);
      // The socket's 'error' comes on its own tick; give it time to surface.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(uncaught).toEqual([]);

      await proxy.start();
      proxy.restore();
      expect(await store.startErpProbe(Date.now(), 1)).toBe(false);
    } finally {
      await pool.end();
    }
  });
});
