import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/adapters/http/auth.js';
import type { Service } from '../../src/service.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  aPrefix,
  callAdminApi,
  createTestService,
  deletePrefix,
  eventually,
  TEST_JWT_SECRET,
  testConfig,
} from '../support/service.js';

const WINDOW = { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Rome' };
/** Far beyond the test's waits: only the NOTIFY can carry a change in time. */
const RESYNC_MS = '600000';
const NOTIFY_WITHIN_MS = 2_000;

/** Two replicas in this process on one database: commands on one, the other follows. */
describe('settings commands across replicas (PostgreSQL NOTIFY)', () => {
  let db: TestDatabase;
  let prefix: string;
  let token: string;
  const replicas: Service[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    prefix = aPrefix();
    token = await signToken(TEST_JWT_SECRET);
    for (let i = 0; i < 2; i++) {
      const config = testConfig(db.url, prefix, { SETTINGS_RESYNC_MS: RESYNC_MS });
      const { service } = createTestService(config);
      replicas.push(service);
      await service.start();
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await deletePrefix(prefix);
    await db?.drop();
  });

  const api = (replica: Service, method: string, path: string, body?: unknown) =>
    callAdminApi(`http://127.0.0.1:${replica.port}`, token, method, path, body);

  it("a window set on one replica reaches the other's scheduler, and so does clearing it", async () => {
    const [first, second] = replicas as [Service, Service];
    const put = await api(first, 'PUT', '/windows/orders', WINDOW);
    expect(put.status).toBe(200);
    expect(first.scheduler.settingsOf('orders').window).toEqual(WINDOW);

    await eventually(
      () => second.scheduler.version() === first.scheduler.version(),
      NOTIFY_WITHIN_MS,
    );
    expect(second.scheduler.settingsOf('orders').window).toEqual(WINDOW);
    expect((await api(second, 'GET', '/windows')).body.windows.orders).toEqual(WINDOW);

    expect((await api(second, 'DELETE', '/windows/orders')).status).toBe(200);
    await eventually(() => first.scheduler.settingsOf('orders').window === null, NOTIFY_WITHIN_MS);
  });

  it('multipliers set on one replica reach the other in the same version as the interval', async () => {
    const [first, second] = replicas as [Service, Service];
    const res = await api(second, 'POST', '/intervals/ddt', {
      intervalMinutes: 40,
      idleMultiplier: 3,
      offlineMultiplier: 12,
    });
    expect(res.status).toBe(200);
    await eventually(
      () => first.scheduler.version() === second.scheduler.version(),
      NOTIFY_WITHIN_MS,
    );
    expect(first.scheduler.settingsOf('ddt')).toMatchObject({
      intervalMinutes: 40,
      idleMultiplier: 3,
      offlineMultiplier: 12,
    });
    const { rows } = await db.pool.query(
      `select interval_minutes, idle_multiplier, offline_multiplier
       from system.sync_settings where sync_type = 'ddt'`,
    );
    expect(rows).toEqual([{ interval_minutes: 40, idle_multiplier: 3, offline_multiplier: 12 }]);
  });
});
