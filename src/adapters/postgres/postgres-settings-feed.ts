import { setTimeout as sleep } from 'node:timers/promises';
import type { Cancel } from '../../domain/ports/clock.js';
import type { SettingsFeed } from '../../domain/ports/settings-feed.js';
import { DedicatedClient } from './dedicated-client.js';
import { errorMessage } from '../error-message.js';
import { backoffMs, type PostgresLog } from './postgres-log.js';

/** The channel the migrations' triggers notify on every change to the desired state. */
export const SETTINGS_CHANNEL = 'sync_scheduler_settings';

export interface PostgresSettingsFeedOptions {
  /** First reconnect delay after a failure; doubles up to `reconnectMaxMs`. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** An idle LISTEN connection can die silently (NAT, failover): prove it alive this often. */
  readonly heartbeatMs?: number;
  readonly queryTimeoutMs?: number;
}

/**
 * LISTENs on a dedicated connection (a pooled one would be handed back and lose the LISTEN).
 * The connection opens with the first subscriber and is reopened, with capped backoff,
 * whenever it drops; since notifications sent meanwhile are lost, every listener is called
 * once after each reconnect. Nothing here ever throws or rejects into the process.
 */
export class PostgresSettingsFeed implements SettingsFeed {
  private readonly listeners = new Set<(version?: number) => void>();
  private readonly closing = new AbortController();
  private running: Promise<void> | undefined;
  private listening = deferred();
  private readonly options: Required<PostgresSettingsFeedOptions>;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: PostgresLog = () => {},
    options: PostgresSettingsFeedOptions = {},
  ) {
    this.options = {
      reconnectMinMs: 250,
      reconnectMaxMs: 10_000,
      heartbeatMs: 15_000,
      queryTimeoutMs: 5_000,
      ...options,
    };
  }

  subscribe(listener: (version?: number) => void): Cancel {
    // A wrapper per subscription, so subscribing the same function twice means two calls.
    const entry = (version?: number): void => listener(version);
    this.listeners.add(entry);
    this.ensureRunning();
    return () => this.listeners.delete(entry);
  }

  /** Resolves once LISTEN is in effect (again, if the connection is down right now). */
  ready(): Promise<void> {
    this.ensureRunning();
    return this.listening.promise;
  }

  /** Stops listening for good; idempotent. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.running;
  }

  private ensureRunning(): void {
    if (!this.closing.signal.aborted) this.running ??= this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    let listenedBefore = false;
    const onListening = (): void => {
      failures = 0;
      this.listening.resolve();
      if (listenedBefore) this.notifyAll();
      listenedBefore = true;
    };
    while (!this.closing.signal.aborted) {
      try {
        await this.session(onListening);
      } catch (error) {
        if (this.closing.signal.aborted) break;
        failures += 1;
        const delay = backoffMs(failures, this.options.reconnectMinMs, this.options.reconnectMaxMs);
        this.log(
          `settings feed: connection lost (${errorMessage(error)}); reconnecting in ${delay} ms`,
          'warn',
          error,
        );
        await sleep(delay, undefined, { signal: this.closing.signal }).catch(() => {});
      }
    }
  }

  /** One connection's life: resolves only when closing, rejects when the connection fails. */
  private async session(onListening: () => void): Promise<void> {
    const connection = new DedicatedClient({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: this.options.queryTimeoutMs,
      query_timeout: this.options.queryTimeoutMs,
      keepAlive: true,
      application_name: 'sync-scheduler-settings-feed',
    });
    const { client } = connection;
    const lost = new AbortController();
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (error) => lost.abort(error));
    client.on('end', () => lost.abort(new Error('connection ended')));
    client.on('notification', (message) => {
      // The payload is the version the change committed (older installs: the table name).
      const version = Number(message.payload);
      if (message.channel === SETTINGS_CHANNEL) {
        this.notifyAll(Number.isSafeInteger(version) && version > 0 ? version : undefined);
      }
    });
    const signal = AbortSignal.any([lost.signal, this.closing.signal]);
    try {
      await connection.connect(this.closing.signal);
      await client.query(`listen ${SETTINGS_CHANNEL}`);
      onListening();
      while (!signal.aborted) {
        await sleep(this.options.heartbeatMs, undefined, { signal }).catch(() => {});
        if (!signal.aborted) await client.query('select 1');
      }
      if (lost.signal.aborted && !this.closing.signal.aborted) throw lost.signal.reason;
    } finally {
      if (this.listening.settled) this.listening = deferred();
      await connection.close();
    }
  }

  /** No version: changes may have been missed (a reconnect), so listeners reload. */
  private notifyAll(version?: number): void {
    for (const listener of this.listeners) {
      try {
        // Listeners are typed as sync, but an async one must not leak a rejection either.
        const result: unknown = listener(version);
        if (result instanceof Promise) result.catch((error: unknown) => this.listenerFailed(error));
      } catch (error) {
        this.listenerFailed(error);
      }
    }
  }

  private listenerFailed(error: unknown): void {
    this.log(`settings feed: a listener failed: ${errorMessage(error)}`, 'error', error);
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly settled: boolean;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const state = { settled: false };
  const promise = new Promise<void>((done) => (resolve = done));
  return {
    promise,
    resolve: () => {
      state.settled = true;
      resolve();
    },
    get settled() {
      return state.settled;
    },
  };
}
