import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../../src/adapters/http/app.js';
import { signToken } from '../../../src/adapters/http/auth.js';
import { JwtVerifier } from '../../../src/adapters/http/jwt-verifier.js';
import type { ReadinessProbe } from '../../../src/adapters/http/readiness.js';
import { InMemoryLeaderElection } from '../../../src/adapters/memory/in-memory-leader-election.js';
import { InMemorySyncHistory } from '../../../src/adapters/memory/in-memory-sync-history.js';
import { GetAutoSyncStatus } from '../../../src/application/get-auto-sync-status.js';
import { GetIntervals } from '../../../src/application/get-intervals.js';
import { GetMonitoringStatus } from '../../../src/application/get-monitoring-status.js';
import { SetSyncEnabled } from '../../../src/application/set-sync-enabled.js';
import { StartAutoSync } from '../../../src/application/start-auto-sync.js';
import { StopAutoSync } from '../../../src/application/stop-auto-sync.js';
import { TriggerSync } from '../../../src/application/trigger-sync.js';
import { UpdateInterval } from '../../../src/application/update-interval.js';
import { aScheduler } from '../../support/scheduler-fixture.js';

export const SECRET = 'http-test-secret-0123456789abcdef-0123456789';
export const AGENTS = ['a-1', 'a-2'];
export const REPLICA_ID = 'replica-test-1';

export const healthyProbe = (name: string): ReadinessProbe => ({ name, check: async () => {} });

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when the reply is JSON, else the raw text. */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly text: string;
}

export interface CallOptions {
  /** Default: a valid admin token; null sends no Authorization header. */
  readonly token?: string | null;
  /** Sent as JSON with Content-Type: application/json. */
  readonly json?: unknown;
  /** Sent as is, with whatever headers are given. */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export interface StartOptions {
  readonly probes?: ReadinessProbe[];
  readonly bodyLimit?: string;
  /** 'just-ran' (default): every type ran at the clock's start; 'never': a fresh install. */
  readonly lastRuns?: 'just-ran' | 'never';
  /** Replaces the /readyz details, which default to this replica's leadership. */
  readonly details?: () => Record<string, unknown>;
  /** The verifier the app uses; default: one that knows SECRET, with the default rules. */
  readonly jwt?: JwtVerifier;
}

/**
 * The real app over real HTTP on 127.0.0.1, wired with the real use cases on the in-memory
 * adapters and a manual clock; every part stays in reach for arranging and asserting.
 * This replica leads, as in production: the election drives the scheduler's leadership.
 */
export async function startApp(options: StartOptions = {}) {
  const parts = aScheduler({ agents: AGENTS, history: options.lastRuns ?? 'just-ran' });
  const { scheduler, queue, agents, clock, settings, runLog } = parts;
  const history = new InMemorySyncHistory({ now: () => clock.now() });
  const leadership = new InMemoryLeaderElection(true, REPLICA_ID);
  leadership.start((isLeader) => void scheduler.setLeader(isLeader));
  const useCases = {
    startAutoSync: new StartAutoSync(scheduler, settings),
    stopAutoSync: new StopAutoSync(scheduler, settings),
    getAutoSyncStatus: new GetAutoSyncStatus(scheduler),
    getIntervals: new GetIntervals(scheduler),
    updateInterval: new UpdateInterval(scheduler),
    triggerSync: new TriggerSync(agents, queue, clock),
    setSyncEnabled: new SetSyncEnabled(scheduler),
    getMonitoringStatus: new GetMonitoringStatus(
      scheduler,
      queue,
      runLog,
      history,
      leadership,
      clock,
    ),
  };
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const registry = new Registry();
  const app = createHttpApp({
    useCases,
    readiness: options.probes ?? [healthyProbe('postgres'), healthyProbe('redis')],
    details:
      options.details ??
      (() => ({ leader: leadership.isLeader(), replicaId: leadership.replicaId })),
    metricsRegistry: registry,
    jwt: options.jwt ?? new JwtVerifier({ secret: SECRET }),
    logger,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const adminToken = await signToken(SECRET);

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? adminToken : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = opts.raw;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('json') ?? false;
    return {
      status: res.status,
      headers: res.headers,
      body: isJson ? JSON.parse(text) : text,
      text,
    };
  }

  async function close(): Promise<void> {
    parts.scheduler.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  return {
    ...parts,
    history,
    leadership,
    useCases,
    logs,
    registry,
    base,
    adminToken,
    call,
    close,
  };
}

export type App = Awaited<ReturnType<typeof startApp>>;
