import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness.js';

describe('while the service shuts down', () => {
  let app: App;
  afterEach(() => app.close());

  it('refuses every command with 503 and changes nothing', async () => {
    app = await startApp({ draining: true });
    const commands: [string, string, unknown?][] = [
      ['POST', '/api/sync/auto-sync/start'],
      ['POST', '/api/sync/auto-sync/stop'],
      ['POST', '/api/sync/intervals/orders', { intervalMinutes: 30 }],
      ['POST', '/api/sync/intervals/orders', { idleMultiplier: 2, offlineMultiplier: 8 }],
      [
        'PUT',
        '/api/sync/windows/orders',
        { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Rome' },
      ],
      ['DELETE', '/api/sync/windows/prices'],
      ['POST', '/api/sync/pause/orders'],
      ['POST', '/api/sync/trigger/orders'],
    ];
    const before = await app.settings.loadSettings();
    for (const [method, path, json] of commands) {
      const res = await app.call(method, path, json === undefined ? {} : { json });
      expect({ path, status: res.status, body: res.body }).toEqual({
        path,
        status: 503,
        body: { success: false, error: expect.stringMatching(/shutting down/) },
      });
      expect(res.headers.get('retry-after')).toBe('1');
    }
    expect(await app.settings.loadSettings()).toEqual(before);
    expect(app.queue.pendingJobs()).toEqual([]);
    expect(app.scheduler.isRunning()).toBe(false);
  });

  it('still answers reads', async () => {
    app = await startApp({ draining: true });
    expect((await app.call('GET', '/api/sync/auto-sync/status')).status).toBe(200);
    expect((await app.call('GET', '/api/sync/monitoring/status')).status).toBe(200);
    expect((await app.call('GET', '/api/sync/windows')).status).toBe(200);
  });

  it('still asks for a token first', async () => {
    app = await startApp({ draining: true });
    expect((await app.call('POST', '/api/sync/auto-sync/start', { token: null })).status).toBe(401);
  });
});
