import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/postgres/pool.js';
import { PostgresAgentStateStore } from '../../src/adapters/postgres/postgres-agent-state-store.js';
import { PostgresSettingsStore } from '../../src/adapters/postgres/postgres-settings-store.js';
const UNAVAILABLE = { kind: 'unavailable', message: expect.stringMatching(/could not be saved/) };
import { proxyPostgres } from '../support/fault-harness.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { throughProxy, type TcpProxy } from '../support/tcp-proxy.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A change that the client gave up on must not be committed later (RELIABILITY.md, finding 1):
 * with the network to PostgreSQL partitioned, the bytes of the change are held, the client
 * answers 503 "could not be saved" after its query timeout, and when the partition heals the
 * held bytes reach the server. Before the change carried a deadline, the server committed it.
 */
describe('PostgresSettingsStore: a change delivered after the client gave up', () => {
  const db = useTestDatabase();
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await proxyPostgres(db().url);
  });
  afterAll(() => proxy?.stop());

  it('answers unavailable during the partition and changes nothing once it heals (settings, agent reset)', async () => {
    const url = throughProxy(db().url, proxy);
    // The client gives up after 1.5 s (statement timeout 500 ms + 1 s).
    const pool = createPool(url, {
      statementTimeoutMs: 500,
      connectionTimeoutMs: 1_000,
    });
    try {
      const store = new PostgresSettingsStore(pool);
      const agents = new PostgresAgentStateStore(pool);
      const failed = {
        type: 'orders',
        userId: 'a-1',
        success: false,
        reason: 'ERP answered 503',
      } as const;
      await new PostgresAgentStateStore(db().pool).recordOutcomes(
        [0, 1, 2].map((i) => ({ ...failed, at: Date.now() + i })),
        Date.now(),
      );
      // Pooled connections (two: the calls below run at once), then the partition.
      await Promise.all([store.saveInterval('orders', 15), agents.agent('a-1')]);
      proxy.blackhole();
      const reset = agents.reset('a-1', {
        actor: 'admin',
        role: 'admin',
        action: 'agent.reset',
        target: 'a-1',
        requestId: 'late-reset',
      });
      reset.catch(() => {}); // awaited below, after the other calls
      await expect(store.saveInterval('orders', 45)).rejects.toMatchObject(UNAVAILABLE);
      await expect(store.saveEnabled('orders', false)).rejects.toMatchObject(UNAVAILABLE);
      await expect(store.saveRunning(false)).rejects.toMatchObject(UNAVAILABLE);
      await expect(reset).rejects.toMatchObject({ kind: 'unavailable' });
      proxy.restore(); // the held changes reach the server now
      await sleep(1_000);

      const direct = new PostgresSettingsStore(db().pool);
      const settings = await direct.loadSettings();
      expect(settings.types.orders).toMatchObject({ intervalMinutes: 15, enabled: true });
      expect(settings.running).toBe(true);
      const [pair] = await new PostgresAgentStateStore(db().pool).agent('a-1');
      expect(pair).toMatchObject({ consecutiveFailures: 3 });
      const { rows } = await db().pool.query('select action from system.audit_log');
      expect(rows).toEqual([]);
      // And a change in time still lands.
      await store.saveInterval('orders', 20);
      expect((await direct.loadSettings()).types.orders.intervalMinutes).toBe(20);
    } finally {
      await pool.end();
    }
  });
});
