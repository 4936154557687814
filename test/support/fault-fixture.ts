import { Queue } from 'bullmq';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { SYNC_TYPES, type SyncType } from '../../src/domain/sync-types.js';
import type { Service } from '../../src/service.js';
import {
  HttpClient,
  proxyPostgres,
  proxyRedis,
  throughProxy,
  watchUnhandledRejections,
} from './fault-harness.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { TEST_REDIS_URL } from './redis.js';
import { aPrefix, createTestService, deletePrefix, eventually, testConfig } from './service.js';
import type { TcpProxy, TcpProxyOptions } from './tcp-proxy.js';

export interface FaultFixtureOptions {
  /** Put a proxy between the service and PostgreSQL (default false: direct). */
  readonly proxyPostgres?: boolean | TcpProxyOptions;
  /** Put a proxy between the service and Redis (default false: direct). */
  readonly proxyRedis?: boolean;
  /** Whitelisted agents a-00001… inserted before boot. */
  readonly agents?: number;
  /** Ticks on demand; omitted: real timers. */
  readonly clock?: ManualClock;
  readonly env?: NodeJS.ProcessEnv;
}

const PENDING = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/**
 * One in-process service on a database of its own and a BullMQ prefix of its own, with a TCP
 * proxy the test controls in front of PostgreSQL and/or Redis. The test's own view of the
 * database (`db.pool`) and of the queue (`queue`) never goes through the proxies.
 */
export class FaultFixture {
  readonly http: HttpClient;
  readonly unhandled = watchUnhandledRejections();
  private started = false;

  private constructor(
    readonly db: TestDatabase,
    readonly prefix: string,
    readonly queue: Queue,
    readonly service: Service,
    readonly logs: Record<string, unknown>[],
    readonly pgProxy: TcpProxy | undefined,
    readonly redisProxy: TcpProxy | undefined,
    readonly clock: ManualClock | undefined,
  ) {
    this.http = new HttpClient(() => service.port);
  }

  static async create(options: FaultFixtureOptions = {}): Promise<FaultFixture> {
    const db = await createTestDatabase();
    try {
      return await FaultFixture.around(db, options);
    } catch (error) {
      // No fixture means no cleanup() call: the database must not outlive the failure.
      await db.drop();
      throw error;
    }
  }

  private static async around(
    db: TestDatabase,
    options: FaultFixtureOptions,
  ): Promise<FaultFixture> {
    if (options.agents) await insertManyAgents(db, options.agents);
    const prefix = aPrefix();
    const pgProxy = options.proxyPostgres
      ? await proxyPostgres(
          db.url,
          typeof options.proxyPostgres === 'object' ? options.proxyPostgres : undefined,
        )
      : undefined;
    const redisProxy = options.proxyRedis ? await proxyRedis() : undefined;
    const config = testConfig(db.url, prefix, {
      ...(pgProxy ? { DATABASE_URL: throughProxy(db.url, pgProxy) } : {}),
      ...(redisProxy ? { REDIS_URL: throughProxy(TEST_REDIS_URL, redisProxy) } : {}),
      // The manual clock would fire a 1 s resync hundreds of times per simulated minute.
      SETTINGS_RESYNC_MS: '3600000',
      ...options.env,
    });
    const { service, logs } = createTestService(config, options.clock);
    const queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
    return new FaultFixture(db, prefix, queue, service, logs, pgProxy, redisProxy, options.clock);
  }

  /** Boots the service and waits until it leads (so ticks can happen). */
  async startLeading(): Promise<void> {
    this.started = true;
    await this.service.start();
    await eventually(() => this.leads(), 10_000, 10);
  }

  /**
   * Whether the service leads and its timers are set. Not `scheduler.isLeader()`: that turns
   * true when Scheduler.setLeader(true) begins, before it has read the last runs and created
   * the timers, so advancing the clock right then fires nothing. The 'leadership' log line is
   * written once setLeader has finished.
   */
  leads(): boolean {
    const last = this.logs.filter((l) => l.event === 'leadership').at(-1);
    return last?.isLeader === true && this.service.scheduler.isLeader();
  }

  /** start() without waiting, for boot-time faults. */
  startInBackground(): Promise<void> {
    this.started = true;
    return this.service.start();
  }

  pendingJobs() {
    return this.queue.getJobs([...PENDING], 0, -1);
  }

  /** Resolves once no tick of any type is in flight. */
  async ticksSettled(timeoutMs = 15_000): Promise<void> {
    await eventually(
      () => SYNC_TYPES.every((type) => !this.service.scheduler.scheduleOf(type).ticking),
      timeoutMs,
      20,
    );
  }

  ticking(): SyncType[] {
    return SYNC_TYPES.filter((type) => this.service.scheduler.scheduleOf(type).ticking);
  }

  logMessages(): string[] {
    return this.logs.map((l) => String(l.msg));
  }

  /** Log lines after index `from` with `event` (e.g. 'tick', 'tick_failed'). */
  events(event: string, from = 0): Record<string, unknown>[] {
    return this.logs.slice(from).filter((l) => l.event === event);
  }

  async cleanup(): Promise<void> {
    try {
      this.pgProxy?.restore();
      this.redisProxy?.restore();
      await this.pgProxy?.start().catch(() => {});
      await this.redisProxy?.start().catch(() => {});
      if (this.started) await this.service.stop();
      await this.queue.close();
      await deletePrefix(this.prefix);
      await this.db.drop();
    } finally {
      await this.pgProxy?.stop();
      await this.redisProxy?.stop();
      // Let late rejections (if any) surface before the listener goes.
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.unhandled.dispose();
    }
  }
}

/** `count` whitelisted agents a-00001, a-00002, … in one statement. */
export async function insertManyAgents(db: TestDatabase, count: number): Promise<void> {
  await db.pool.query(
    `insert into agents.users (id, username)
     select 'a-' || lpad(n::text, 5, '0'), 'user-' || lpad(n::text, 5, '0')
     from generate_series(1, $1::int) as n`,
    [count],
  );
}

export const agentIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `a-${String(i + 1).padStart(5, '0')}`);
