import { Container } from 'inversify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryAgentRegistry } from '../../../src/adapters/memory/in-memory-agent-registry.js';
import { InMemoryJobQueue } from '../../../src/adapters/memory/in-memory-job-queue.js';
import { InMemoryLeaderElection } from '../../../src/adapters/memory/in-memory-leader-election.js';
import { InMemoryRunLog } from '../../../src/adapters/memory/in-memory-run-log.js';
import { InMemorySettingsStore } from '../../../src/adapters/memory/in-memory-settings-store.js';
import { InMemorySyncHistory } from '../../../src/adapters/memory/in-memory-sync-history.js';
import { ManualClock } from '../../../src/adapters/memory/manual-clock.js';
import { inMemoryModule } from '../../../src/adapters/memory/module.js';
import { createMetrics } from '../../../src/adapters/observability/metrics.js';
import { observabilityModule } from '../../../src/adapters/observability/module.js';
import type { DependencyProbe } from '../../../src/adapters/probes.js';
import type { Config } from '../../../src/config.js';
import { DEFAULT_INTERVALS } from '../../../src/domain/interval.js';
import { SYNC_TYPES } from '../../../src/domain/sync-types.js';
import { PROCESS_COMPONENT, type ProcessComponent } from '../../../src/lifecycle.js';
import * as T from '../../../src/tokens.js';
import { applicationModule } from '../../../src/wiring/application-module.js';
import { scrapeModule } from '../../../src/wiring/scrape-module.js';
import { settle } from '../../support/scheduler-fixture.js';

const MINUTE = 60_000;
let stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops) await stop();
  stops = [];
});

/** The real application module and the scrape module on in-memory adapters; this replica leads. */
async function aReplica() {
  const clock = new ManualClock();
  const startedAt = clock.now();
  const runLog = new InMemoryRunLog();
  for (const type of SYNC_TYPES) await runLog.recordRun(type, startedAt);
  const leadership = new InMemoryLeaderElection(true, 'replica-scrape-1');
  const adapters = {
    clock,
    runLog,
    leadership,
    queue: new InMemoryJobQueue(() => leadership.holder()),
    agents: new InMemoryAgentRegistry(['a-1', 'a-2']),
    settings: new InMemorySettingsStore(DEFAULT_INTERVALS),
    history: new InMemorySyncHistory({ now: () => clock.now() }),
  };
  const down = new Set<string>();
  const probe = (name: 'postgres' | 'redis'): DependencyProbe => ({
    name,
    check: async () => {
      if (down.has(name)) throw new Error(`connect ECONNREFUSED (${name})`);
    },
  });
  const metrics = createMetrics();
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(
    observabilityModule(pino({ level: 'silent' }), metrics),
    inMemoryModule(adapters),
    applicationModule({ settingsResyncMs: 30_000 } as Config),
    scrapeModule(),
  );
  container.bind(T.DEPENDENCY_PROBE).toConstantValue(probe('postgres'));
  container.bind(T.DEPENDENCY_PROBE).toConstantValue(probe('redis'));
  const components = [...container.getAll<ProcessComponent>(PROCESS_COMPONENT)].sort(
    (a, b) => a.order - b.order,
  );
  const booting = new AbortController();
  for (const component of components) await component.start?.(booting.signal);
  await settle();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      booting.abort();
      for (const component of [...components].reverse()) await component.stop?.();
    })());
  stops.push(stop);
  /** One scrape, as `{ 'metric{label}': value }` limited to `prefix`. */
  const scrape = async (prefix: string): Promise<Record<string, number>> => {
    const values: Record<string, number> = {};
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      if (!metric.name.startsWith(prefix)) continue;
      for (const { labels, value } of metric.values) {
        const label = Object.values(labels).map(String).join(',');
        values[label ? `${metric.name}{${label}}` : metric.name] = value;
      }
    }
    return values;
  };
  return { ...adapters, startedAt, down, scrape, stop };
}

describe('scrapeModule', () => {
  it("exports every type's interval and the last runs the leader loaded", async () => {
    const replica = await aReplica();
    expect(await replica.scrape('sync_scheduler_interval_seconds')).toEqual(
      Object.fromEntries(
        SYNC_TYPES.map((type) => [
          `sync_scheduler_interval_seconds{${type}}`,
          DEFAULT_INTERVALS[type] * 60,
        ]),
      ),
    );
    expect(await replica.scrape('sync_scheduler_last_tick_timestamp_seconds')).toMatchObject({
      'sync_scheduler_last_tick_timestamp_seconds{orders}': replica.startedAt / 1000,
      'sync_scheduler_last_tick_timestamp_seconds{prices}': replica.startedAt / 1000,
    });
  });

  it("moves a type's last tick when it ticks and counts the jobs it queued", async () => {
    const replica = await aReplica();
    await replica.clock.advanceAndSettle(DEFAULT_INTERVALS.orders * MINUTE);
    const ticks = await replica.scrape('sync_scheduler_last_tick_timestamp_seconds');
    expect(ticks['sync_scheduler_last_tick_timestamp_seconds{orders}']).toBe(
      replica.startedAt / 1000 + DEFAULT_INTERVALS.orders * 60,
    );
    expect(ticks['sync_scheduler_last_tick_timestamp_seconds{prices}']).toBe(
      replica.startedAt / 1000,
    );
    const queue = await replica.scrape('sync_scheduler_queue_jobs');
    // Two agents' orders jobs, spread with a delay; nothing else is due yet.
    expect(Object.values(queue).reduce((sum, n) => sum + n, 0)).toBe(2);
    expect(queue['sync_scheduler_queue_jobs{delayed}']).toBe(2);
  });

  it('drops the interval of a paused type, and of every type once auto-sync stops', async () => {
    const replica = await aReplica();
    await replica.settings.saveEnabled('invoices', false);
    await settle();
    const intervals = await replica.scrape('sync_scheduler_interval_seconds');
    expect(intervals).not.toHaveProperty('sync_scheduler_interval_seconds{invoices}');
    expect(intervals).toHaveProperty('sync_scheduler_interval_seconds{orders}', 600);
    await replica.settings.saveRunning(false);
    await settle();
    expect(await replica.scrape('sync_scheduler_interval_seconds')).toEqual({});
  });

  it('reports readiness per dependency on every scrape', async () => {
    const replica = await aReplica();
    expect(await replica.scrape('sync_scheduler_')).toMatchObject({
      sync_scheduler_ready: 1,
      'sync_scheduler_dependency_up{postgres}': 1,
      'sync_scheduler_dependency_up{redis}': 1,
    });
    replica.down.add('redis');
    expect(await replica.scrape('sync_scheduler_')).toMatchObject({
      sync_scheduler_ready: 0,
      'sync_scheduler_dependency_up{postgres}': 1,
      'sync_scheduler_dependency_up{redis}': 0,
    });
  });

  it('leaves the queue gauge out while the queue cannot be read', async () => {
    const replica = await aReplica();
    replica.queue.failWith(new Error('connect ECONNREFUSED'));
    expect(await replica.scrape('sync_scheduler_queue_jobs')).toEqual({});
  });

  it('stops reading the process once it has stopped', async () => {
    const replica = await aReplica();
    await replica.stop();
    expect(await replica.scrape('sync_scheduler_interval_seconds')).toEqual({});
    expect(await replica.scrape('sync_scheduler_ready')).toEqual({ sync_scheduler_ready: 0 });
  });
});
