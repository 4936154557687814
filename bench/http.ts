import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import autocannon, { type Result } from 'autocannon';
import Koa from 'koa';
import { signToken } from '../src/adapters/http/auth.js';
import { createLogger } from '../src/adapters/observability/logger.js';
import { Service } from '../src/service.js';
import { createTestDatabase } from '../test/support/postgres.js';
import {
  aPrefix,
  deletePrefix,
  eventually,
  TEST_JWT_SECRET,
  testConfig,
} from '../test/support/service.js';
import {
  checksTable,
  fmt,
  fmtInt,
  median,
  progress,
  ratios,
  spread,
  table,
  type Benchmark,
  type Check,
} from './support.js';

const DURATION_S = 4;
const WARM_UP_S = 1;
const CONNECTIONS = 10;
const ROUNDS = 3;
const INTERVALS_PATH = '/api/sync/intervals';
const STATUS_PATH = '/api/sync/monitoring/status';

/** Log lines are formatted as in production, then dropped (stdout carries the report). */
const discard = new Writable({ write: (_chunk, _encoding, done) => done() });

/** A Koa app with one handler answering what the real intervals route answers. */
async function startBareApp(body: unknown): Promise<Server> {
  const app = new Koa();
  app.use((ctx) => {
    if (ctx.method === 'GET' && ctx.path === INTERVALS_PATH) ctx.body = body;
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const urlOf = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

async function load(url: string, headers: Record<string, string>, duration: number) {
  // One worker thread fires the requests, so the load generator does not share the event loop
  // with the servers under test.
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration, workers: 1 });
  const failures = result.errors + result.timeouts + result.non2xx;
  if (failures > 0) throw new Error(`${url}: ${failures} failed requests`);
  return result;
}

export const http: Benchmark = {
  name: 'http',
  async run() {
    const db = await createTestDatabase({ migrate: false });
    const prefix = aPrefix();
    const config = testConfig(db.url, prefix);
    const service = new Service(config, { logger: createLogger('info', discard) });
    let bare: Server | undefined;
    const results = new Map<string, Result[]>();
    try {
      await service.start();
      await eventually(() => service.scheduler.isLeader(), 10_000);
      const auth = { authorization: `Bearer ${await signToken(TEST_JWT_SECRET)}` };
      const real = await fetch(urlOf(service.port, INTERVALS_PATH), { headers: auth });
      if (real.status !== 200) throw new Error(`GET ${INTERVALS_PATH}: ${real.status}`);
      bare = await startBareApp(await real.json());
      const bareUrl = urlOf((bare.address() as AddressInfo).port, INTERVALS_PATH);
      const targets = [
        { name: 'bare', url: bareUrl, headers: {} },
        { name: 'intervals', url: urlOf(service.port, INTERVALS_PATH), headers: auth },
        { name: 'status', url: urlOf(service.port, STATUS_PATH), headers: auth },
      ];
      for (const target of targets) await load(target.url, target.headers, WARM_UP_S);
      for (let round = 0; round < ROUNDS; round++) {
        progress(`http round ${round + 1}/${ROUNDS}`);
        const ordered = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of ordered) {
          const result = await load(target.url, target.headers, DURATION_S);
          results.set(target.name, [...(results.get(target.name) ?? []), result]);
        }
      }
    } finally {
      if (bare) {
        bare.close();
        bare.closeAllConnections();
      }
      await service.stop();
      await deletePrefix(prefix);
      await db.drop();
    }

    const rps = (name: string) => (results.get(name) ?? []).map((r) => r.requests.average);
    const p99 = (name: string) => (results.get(name) ?? []).map((r) => r.latency.p99);
    const intervalsRatio = median(ratios(rps('intervals'), rps('bare')));
    const statusRatio = median(ratios(rps('status'), rps('bare')));
    const checks: Check[] = [
      {
        label: 'GET /intervals throughput vs bare Koa',
        target: '≥ 0.5 x',
        measured: `${fmt(intervalsRatio)} x`,
        pass: intervalsRatio >= 0.5,
      },
    ];
    // autocannon records latency in whole milliseconds: a bare p99 of 0 means under 1 ms.
    const p99Ratio = (name: string) =>
      p99('bare').every((v) => v > 0)
        ? `${fmt(median(ratios(p99(name), p99('bare'))), 1)} x`
        : 'n/a (bare p99 < 1 ms)';
    const row = (label: string, name: string, ratio: string) => [
      label,
      ratio,
      `${spread(rps(name))} req/s`,
      `${spread(p99(name))} ms`,
      p99Ratio(name),
    ];
    const body = [
      `The real Service booted in-process (fresh database, migrations, own BullMQ prefix, leader, ` +
        `admin JWT verified on every request, metrics and request logs at level info formatted ` +
        `and discarded) against a bare Koa app answering the same intervals JSON. autocannon, ` +
        `${CONNECTIONS} connections, ${DURATION_S} s per run in a worker thread, after a ` +
        `${WARM_UP_S} s warm-up; ${ROUNDS} interleaved rounds, median of per-round ratios. ` +
        `Empty queue and no agents.`,
      '',
      table(
        ['endpoint', 'throughput vs bare', 'req/s, median (min–max)', 'p99 ms', 'p99 vs bare'],
        [
          row(`GET ${INTERVALS_PATH}`, 'intervals', `${fmt(intervalsRatio)} x`),
          row(`GET ${STATUS_PATH}`, 'status', `${fmt(statusRatio)} x`),
          row('bare Koa handler (baseline)', 'bare', '1.00 x'),
        ],
      ),
      '',
      `Requests served per run, median: bare ${fmtInt(
        median((results.get('bare') ?? []).map((r) => r.requests.total)),
      )}, intervals ${fmtInt(median((results.get('intervals') ?? []).map((r) => r.requests.total)))}, ` +
        `status ${fmtInt(median((results.get('status') ?? []).map((r) => r.requests.total)))}.`,
      '',
      checksTable(checks),
    ].join('\n');
    return { title: 'HTTP throughput and p99 latency', body, checks };
  },
};
