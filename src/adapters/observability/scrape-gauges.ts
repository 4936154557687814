import { Gauge, type Registry } from 'prom-client';
import type { QueueCounts } from '../../domain/ports/queue-inspector.js';
import type { SyncType } from '../../domain/sync-types.js';
import { withTimeout } from '../with-timeout.js';

/** One type's schedule as this replica knows it. */
export interface TypeScheduleView {
  readonly type: SyncType;
  readonly intervalMinutes: number;
  /** Auto-sync runs and the type is not paused: some replica should tick it. */
  readonly scheduled: boolean;
  /** When its latest tick started (epoch ms), as this replica knows it. */
  readonly lastRunAt: number | null;
}

/** What the gauges below read on every scrape; bound by the process (wiring/scrape-module.ts). */
export interface ScrapeSources {
  schedule(): readonly TypeScheduleView[];
  queueCounts(): Promise<QueueCounts>;
  /** Per dependency, whether it answered in time: the /readyz verdict. */
  readiness(): Promise<Readonly<Record<string, boolean>>>;
}

/** A scrape must not hang on a stuck Redis: past this the queue gauge is left out. */
export const QUEUE_COUNTS_TIMEOUT_MS = 500;
/** The pending states; completed and failed are capped by retention, so not a backlog. */
const BACKLOG_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/** Both readiness gauges read one check per scrape: concurrent callers share it. */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => (inFlight ??= read().finally(() => (inFlight = undefined)));
}

/**
 * Gauges computed when Prometheus scrapes, from whatever `bind` was given. Until then (or
 * after unbinding) they export no series, except `sync_scheduler_ready 0`. A source that
 * fails or hangs leaves its gauge empty: a scrape never fails for it.
 */
export function createScrapeGauges(registers: Registry[]) {
  let sources: Partial<ScrapeSources> = {};
  let readiness: (() => Promise<Readonly<Record<string, boolean>>>) | undefined;
  const readinessOrNone = async () => (readiness ? readiness().catch(() => null) : null);
  const gauges = {
    intervalSeconds: new Gauge({
      name: 'sync_scheduler_interval_seconds',
      help: 'Interval of each type that is scheduled (auto-sync running, type not paused); no series for a paused type or while stopped.',
      labelNames: ['type'] as const,
      registers,
      collect() {
        this.reset();
        for (const view of sources.schedule?.() ?? [])
          if (view.scheduled) this.set({ type: view.type }, view.intervalMinutes * 60);
      },
    }),
    lastTick: new Gauge({
      name: 'sync_scheduler_last_tick_timestamp_seconds',
      help: "When the type's latest tick started, in epoch seconds, as this replica knows it (the leader's own ticks, or the last run it loaded on taking the lease); take the max over replicas.",
      labelNames: ['type'] as const,
      registers,
      collect() {
        this.reset();
        for (const view of sources.schedule?.() ?? [])
          if (view.lastRunAt !== null) this.set({ type: view.type }, view.lastRunAt / 1000);
      },
    }),
    queueJobs: new Gauge({
      name: 'sync_scheduler_queue_jobs',
      help: `Jobs in the queue by state (${BACKLOG_STATES.join(', ')}), read from BullMQ on each scrape; no series when it did not answer within ${QUEUE_COUNTS_TIMEOUT_MS} ms.`,
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const read = sources.queueCounts;
        const counts = read
          ? await withTimeout(read(), QUEUE_COUNTS_TIMEOUT_MS, 'queue counts').catch(() => null)
          : null;
        this.reset();
        if (counts) for (const state of BACKLOG_STATES) this.set({ state }, counts[state]);
      },
    }),
    ready: new Gauge({
      name: 'sync_scheduler_ready',
      help: '1 when GET /readyz would answer 200 (every dependency answered in time), else 0.',
      registers,
      async collect() {
        const checks = await readinessOrNone();
        if (checks) this.set(Object.values(checks).every(Boolean) ? 1 : 0);
        // Unlabelled, so it always has a value: without a source it says "not ready".
        else this.set(0);
      },
    }),
    dependencyUp: new Gauge({
      name: 'sync_scheduler_dependency_up',
      help: '1 while the dependency (postgres, redis) answers the readiness probe in time, else 0.',
      labelNames: ['dependency'] as const,
      registers,
      async collect() {
        const checks = await readinessOrNone();
        this.reset();
        for (const [dependency, up] of Object.entries(checks ?? {}))
          this.set({ dependency }, up ? 1 : 0);
      },
    }),
  };
  return {
    ...gauges,
    /** Reads these from now on; returns the function that stops it (at shutdown). */
    bind(next: ScrapeSources): () => void {
      sources = next;
      readiness = shared(() => next.readiness());
      return () => {
        if (sources !== next) return;
        sources = {};
        readiness = undefined;
      };
    },
  };
}
