import { afterEach, describe, expect, it } from 'vitest';
import { healthResponse, readinessResponse } from '../../../src/adapters/http/schemas.js';
import { healthyProbe, REPLICA_ID, startApp, type App } from './harness.js';

describe('operations routes', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers /healthz while the process lives', async () => {
    app = await startApp();
    const res = await app.call('GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(healthResponse.parse(res.body)).toEqual({ success: true, status: 'ok' });
  });

  describe('/readyz', () => {
    it('is ready when every probe answers, and says whether this replica leads', async () => {
      app = await startApp();
      const res = await app.call('GET', '/readyz', { token: null });
      expect(res.status).toBe(200);
      expect(readinessResponse.parse(res.body)).toEqual({
        success: true,
        checks: { postgres: 'ok', redis: 'ok' },
        leader: true,
        replicaId: REPLICA_ID,
      });
    });

    it('reports leadership as it is at the time of the request', async () => {
      app = await startApp();
      app.leadership.setLeader(false);
      const res = await app.call('GET', '/readyz', { token: null });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, leader: false, replicaId: REPLICA_ID });
    });

    it('does not let the details override the verdict', async () => {
      const redis = { name: 'redis', check: () => Promise.reject(new Error('ECONNREFUSED')) };
      app = await startApp({
        probes: [redis],
        details: () => ({ success: true, checks: {}, error: 'none', leader: true }),
      });
      const res = await app.call('GET', '/readyz', { token: null });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        success: false,
        error: 'Not ready: redis unreachable.',
        checks: { redis: 'unreachable' },
        leader: true,
      });
    });

    it('answers 503 naming the probe that failed', async () => {
      const redis = { name: 'redis', check: () => Promise.reject(new Error('ECONNREFUSED')) };
      app = await startApp({ probes: [healthyProbe('postgres'), redis] });
      const res = await app.call('GET', '/readyz', { token: null });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        success: false,
        error: 'Not ready: redis unreachable.',
        checks: { postgres: 'ok', redis: 'unreachable' },
        leader: true,
        replicaId: REPLICA_ID,
      });
    });

    it('gives up on a hung probe after about a second, running probes in parallel', async () => {
      const hung = (name: string) => ({ name, check: () => new Promise<void>(() => {}) });
      app = await startApp({ probes: [hung('postgres'), hung('redis')] });
      const startedAt = Date.now();
      const res = await app.call('GET', '/readyz', { token: null });
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('Not ready: postgres, redis unreachable.');
      expect(Date.now() - startedAt).toBeLessThan(1900);
    });

    it('counts a probe that throws synchronously as unreachable', async () => {
      const broken = {
        name: 'postgres',
        check: (): Promise<void> => {
          throw new Error('pool destroyed');
        },
      };
      app = await startApp({ probes: [broken] });
      expect((await app.call('GET', '/readyz', { token: null })).status).toBe(503);
    });
  });

  it('exposes the HTTP histogram labelled by route pattern, never by raw URL', async () => {
    app = await startApp();
    await app.call('POST', '/api/sync/intervals/orders', { json: { intervalMinutes: 15 } });
    await app.call('GET', '/some/random/path-123');
    const res = await app.call('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/api\/sync\/intervals\/:type",status="200"\} 1/,
    );
    expect(res.text).toContain('route="unmatched",status="404"');
    expect(res.text).not.toContain('path-123');
  });

  describe('/openapi.json', () => {
    it('documents every route with its method', async () => {
      app = await startApp();
      const res = await app.call('GET', '/openapi.json', { token: null });
      expect(res.status).toBe(200);
      expect(res.body.openapi).toBe('3.1.0');
      const operations = Object.entries(res.body.paths as Record<string, object>).flatMap(
        ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations.sort()).toEqual(
        [
          'GET /api/sync/auto-sync/status',
          'POST /api/sync/auto-sync/start',
          'POST /api/sync/auto-sync/stop',
          'GET /api/sync/intervals',
          'POST /api/sync/intervals/{type}',
          'POST /api/sync/trigger/{type}',
          'POST /api/sync/pause/{type}',
          'POST /api/sync/resume/{type}',
          'GET /api/sync/monitoring/status',
          'GET /api/sync/windows',
          'PUT /api/sync/windows/{type}',
          'DELETE /api/sync/windows/{type}',
          'GET /api/sync/agents',
          'GET /api/sync/agents/{userId}',
          'POST /api/sync/agents/{userId}/reset',
          'GET /api/sync/erp-breaker',
          'GET /api/sync/charts/{type}',
          'GET /api/sync/agents/{userId}/outcomes',
          'GET /api/sync/me',
          'GET /api/sync/audit',
          'GET /healthz',
          'GET /readyz',
          'GET /metrics',
          'GET /openapi.json',
        ].sort(),
      );
    });

    it("describes the bodies' bounds, the type parameter and bearer auth", async () => {
      app = await startApp();
      const { body: doc } = await app.call('GET', '/openapi.json', { token: null });
      const op = doc.paths['/api/sync/intervals/{type}'].post;
      const body = op.requestBody.content['application/json'].schema;
      expect(op.requestBody.required).toBe(true);
      // Any of the three, at least one (the use case and the schema both say so).
      expect(body.required).toBeUndefined();
      expect(body.description).toBe(
        'At least one of intervalMinutes, idleMultiplier, offlineMultiplier',
      );
      expect(body.properties.intervalMinutes).toEqual({
        type: 'integer',
        minimum: 5,
        maximum: 1440,
      });
      for (const tier of ['idleMultiplier', 'offlineMultiplier']) {
        expect(body.properties[tier]).toMatchObject({ type: 'integer', minimum: 0, maximum: 100 });
      }
      expect(op.parameters[0]).toMatchObject({ name: 'type', in: 'path', required: true });
      expect(op.parameters[0].schema.enum).toContain('sync-orders');
      expect(op.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(op.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '403', '413', '415', '503']),
      );
      const trigger = doc.paths['/api/sync/trigger/{type}'].post;
      expect(trigger.requestBody.required).toBe(false);
      expect(Object.keys(trigger.responses)).toContain('202');
      for (const action of ['pause', 'resume']) {
        const toggle = doc.paths[`/api/sync/${action}/{type}`].post;
        expect(toggle.requestBody).toBeUndefined();
        expect(toggle.parameters[0]).toMatchObject({ name: 'type', in: 'path', required: true });
        expect(toggle.security).toEqual([{ bearerAuth: [] }]);
        expect(Object.keys(toggle.responses)).toEqual(
          expect.arrayContaining(['200', '400', '401', '403', '503']),
        );
        const ok = toggle.responses['200'].content['application/json'].schema;
        expect(ok.required).toEqual(['success', 'type', 'enabled', 'message']);
      }
      const monitoring = doc.paths['/api/sync/monitoring/status'].get;
      expect(monitoring.parameters[0]).toMatchObject({
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
      });
    });
  });
});
