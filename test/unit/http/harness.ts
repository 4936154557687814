import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../../src/adapters/http/app.js';
import { signToken } from '../../../src/adapters/http/auth.js';
import { JwtVerifier } from '../../../src/adapters/http/jwt-verifier.js';
import type { ReadinessProbe } from '../../../src/adapters/http/readiness.js';
import { Container } from 'inversify';
import type { AgentUseCases } from '../../../src/adapters/http/routes/agent-routes.js';
import type { ChartUseCases } from '../../../src/adapters/http/routes/charts-routes.js';
import type { SyncUseCases } from '../../../src/adapters/http/routes/sync-routes.js';
import { InMemoryAgentRegistry } from '../../../src/adapters/memory/in-memory-agent-registry.js';
import { InMemoryAgentStateStore } from '../../../src/adapters/memory/in-memory-agent-state-store.js';
import { InMemoryAuditLog } from '../../../src/adapters/memory/in-memory-audit-log.js';
import { InMemoryJobQueue } from '../../../src/adapters/memory/in-memory-job-queue.js';
import { InMemoryLeaderElection } from '../../../src/adapters/memory/in-memory-leader-election.js';
import { InMemoryRunLog } from '../../../src/adapters/memory/in-memory-run-log.js';
import { InMemorySettingsStore } from '../../../src/adapters/memory/in-memory-settings-store.js';
import { InMemorySyncHistory } from '../../../src/adapters/memory/in-memory-sync-history.js';
import { ManualClock } from '../../../src/adapters/memory/manual-clock.js';
import { inMemoryModule } from '../../../src/adapters/memory/module.js';
import { createMetrics } from '../../../src/adapters/observability/metrics.js';
import { observabilityModule } from '../../../src/adapters/observability/module.js';
import type { SchedulingService } from '../../../src/application/scheduling-service.js';
import type { Config } from '../../../src/config.js';
import {
  DEFAULT_ERP_BREAKER_RULES,
  DEFAULT_PAIR_BREAKER_RULES,
} from '../../../src/domain/breakers.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import { TICK_OBSERVER, type TickObserver } from '../../../src/domain/ports/tick-observer.js';
import { SYNC_TYPES } from '../../../src/domain/sync-types.js';
import { PROCESS_COMPONENT, type ProcessComponent } from '../../../src/lifecycle.js';
import * as T from '../../../src/tokens.js';
import { applicationModule } from '../../../src/wiring/application-module.js';
import { settle } from '../../support/scheduler-fixture.js';

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
  /** Shutdown has begun: writes are refused (the http component's quiesce). */
  readonly draining?: boolean;
  /** Boot with auto-sync stored as running (default: stopped until `run()`). */
  readonly running?: boolean;
  /** Replaces the /readyz details, which default to this replica's leadership. */
  readonly details?: () => Record<string, unknown>;
  /** The verifier the app uses; default: one that knows SECRET, with the default rules. */
  readonly jwt?: JwtVerifier;
  /** Where the manual clock starts (default: ManualClock's own fixed start). */
  readonly clockStart?: number;
  /** false: no AgentStateStore bound, so the agent routes are not mounted. */
  readonly agentState?: boolean;
  /** Settings the application module reads beyond the defaults, e.g. the release budget. */
  readonly config?: Partial<Config>;
}

/**
 * The real app over real HTTP on 127.0.0.1, wired with the real use cases on the in-memory
 * adapters and a manual clock; every part stays in reach for arranging and asserting.
 * This replica leads, as in production: the election drives the scheduler's leadership.
 */
export async function startApp(options: StartOptions = {}) {
  const clock = new ManualClock(options.clockStart);
  const runLog = new InMemoryRunLog();
  if ((options.lastRuns ?? 'just-ran') === 'just-ran') {
    for (const type of SYNC_TYPES) void runLog.recordRun(type, clock.now());
  }
  const leadership = new InMemoryLeaderElection(true, REPLICA_ID);
  // One trail for every store, as one table serves them all in PostgreSQL.
  const auditLog = new InMemoryAuditLog({ now: () => clock.now() });
  const adapters = {
    auditLog,
    clock,
    runLog,
    leadership,
    queue: new InMemoryJobQueue(() => leadership.holder()),
    agents: new InMemoryAgentRegistry(AGENTS),
    settings: new InMemorySettingsStore(DEFAULT_INTERVALS, auditLog),
    history: new InMemorySyncHistory({ now: () => clock.now() }),
    // The real in-memory store (the breaker rules included); a test arranges it with `seed`.
    agentState: new InMemoryAgentStateStore(
      DEFAULT_PAIR_BREAKER_RULES,
      DEFAULT_ERP_BREAKER_RULES,
      auditLog,
    ),
  };
  const { settings, history } = adapters;
  // Boots stopped unless asked otherwise, so a test says when auto-sync starts (`run()`).
  if (!options.running) await settings.saveRunning(false);
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const registry = new Registry();
  // The real wiring: the application module over the in-memory adapters, booted like the
  // service boots (every process component in order), without HTTP, PostgreSQL or Redis.
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(
    observabilityModule(logger, createMetrics(registry)),
    inMemoryModule(
      options.agentState === false ? { ...adapters, agentState: undefined } : adapters,
    ),
    applicationModule({ settingsResyncMs: 30_000, ...options.config } as Config),
  );
  const components = [...container.getAll<ProcessComponent>(PROCESS_COMPONENT)].sort(
    (x, y) => x.order - y.order,
  );
  const booting = new AbortController();
  for (const component of components) await component.start?.(booting.signal);
  await settle();
  // The resync and history-pruning timers: what a replica keeps while no type is scheduled.
  const housekeepingTimers = clock.pendingTimers();
  const scheduler = container.get<SchedulingService>(T.SCHEDULER);
  const useCases = container.get<SyncUseCases>(T.USE_CASES);
  const agentUseCases = container.get<AgentUseCases | undefined>(T.AGENT_USE_CASES);
  const chartUseCases = container.get<ChartUseCases>(T.CHART_USE_CASES);
  const observer = container.get<TickObserver>(TICK_OBSERVER);
  const app = createHttpApp({
    useCases,
    agentUseCases,
    chartUseCases,
    readiness: options.probes ?? [healthyProbe('postgres'), healthyProbe('redis')],
    details:
      options.details ??
      (() => ({ leader: leadership.isLeader(), replicaId: leadership.replicaId })),
    metricsRegistry: registry,
    jwt: options.jwt ?? new JwtVerifier({ secret: SECRET }),
    logger,
    acceptingWrites: () => !options.draining,
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
    booting.abort();
    for (const component of [...components].reverse()) await component.stop?.();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  return {
    ...adapters,
    scheduler,
    observer,
    housekeepingTimers,
    container,
    /** An operator's start, through the use case. */
    run: () => useCases.startAutoSync.execute(),
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
