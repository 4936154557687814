import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import { errorBody } from '../../../src/adapters/http/schemas.js';
import { prng, randomRequest, type FuzzRequest } from './fuzz-requests.js';
import { SECRET, startApp, type App } from './harness.js';

/** Change FUZZ_SEED to explore; a failure names the seed and the request index. */
const SEED = Number(process.env.FUZZ_SEED ?? 20260101);
const REQUESTS = 3000;
const CONCURRENCY = 8;

interface Outcome {
  readonly index: number;
  readonly request: FuzzRequest;
  readonly status: number;
  readonly problem?: string;
}

async function send(app: App, index: number, request: FuzzRequest): Promise<Outcome> {
  const { method, path, headers, body } = request;
  let res: Response;
  let text: string;
  try {
    res = await fetch(app.base + path, { method, headers, body });
    text = await res.text();
  } catch (error) {
    return {
      index,
      request,
      status: 0,
      problem: `no reply: ${String((error as Error).cause ?? error)}`,
    };
  }
  const fail = (problem: string) => ({ index, request, status: res.status, problem });
  if (res.status >= 500) return fail(`status ${res.status}: ${text}`);
  if (/\n\s+at /.test(text)) return fail('a stack trace in the body');
  if (res.status < 400 || method === 'HEAD') return { index, request, status: res.status };
  if (!res.headers.get('content-type')?.startsWith('application/json')) return fail('not JSON');
  if (!errorBody.strict().safeParse(JSON.parse(text)).success) return fail(`envelope: ${text}`);
  if (res.status === 405 && !res.headers.get('allow')) return fail('405 without Allow');
  if (res.status === 401 && !res.headers.get('www-authenticate'))
    return fail('401 without challenge');
  return { index, request, status: res.status };
}

describe(`HTTP fuzz (seed ${SEED})`, () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it(`never answers 500 nor breaks the envelope over ${REQUESTS} random requests`, async () => {
    const tokens = {
      admin: app.adminToken,
      viewer: await signToken(SECRET, { role: 'viewer' }),
      expired: await signToken(SECRET, { ttl: '-1h' }),
      wrongKey: await signToken('not-the-secret-0123456789abcdef-xyz'),
    };
    const rng = prng(SEED);
    const requests = Array.from({ length: REQUESTS }, () => randomRequest(rng, tokens));
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < requests.length; i = next++) {
        outcomes.push(await send(app, i, requests[i] as FuzzRequest));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const failures = outcomes.filter((o) => o.problem).slice(0, 5);
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(outcomes).toHaveLength(REQUESTS);
    // The generator must reach every kind of reply, or the test proves little.
    const statuses = new Set(outcomes.map((o) => o.status));
    for (const status of [200, 202, 400, 401, 403, 404, 405, 413, 415]) {
      expect(statuses, `status ${status} never seen`).toContain(status);
    }
    for (const route of ['/api/sync/pause/', '/api/sync/resume/', '/api/sync/windows/']) {
      const served = outcomes.some((o) => o.status === 200 && o.request.path.startsWith(route));
      expect(served, `${route} never served`).toBe(true);
    }
    // 15 s alone on 2 cores; a loaded machine needs more than the default 30 s.
  }, 120_000);

  it('is healthy afterwards', async () => {
    expect((await app.call('GET', '/healthz')).status).toBe(200);
    const res = await app.call('POST', '/api/sync/intervals/orders', {
      json: { intervalMinutes: 30 },
    });
    expect(res.status).toBe(200);
    expect((await app.call('GET', '/api/sync/intervals')).body.intervals.orders).toBe(30);
  });
});
