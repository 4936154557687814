import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/adapters/observability/metrics.js';
import {
  QUEUE_COUNTS_TIMEOUT_MS,
  type ScrapeSources,
} from '../../../src/adapters/observability/scrape-gauges.js';
import type { QueueCounts } from '../../../src/domain/ports/queue-inspector.js';

const COUNTS: QueueCounts = {
  waiting: 1,
  prioritized: 20,
  delayed: 300,
  active: 4,
  completed: 100,
  failed: 50,
};
const AT = Date.UTC(2026, 0, 1, 8, 0, 0);

/** One scrape: `{ '<metric>{label="v"}': value }` for the scrape-time gauges. */
async function scrape(registry: Registry): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    if (
      !/_(interval_seconds|last_tick_timestamp_seconds|queue_jobs|ready|dependency_up)$/.test(
        metric.name,
      )
    )
      continue;
    for (const { labels, value } of metric.values) {
      const inner = Object.entries(labels)
        .map(([k, v]) => `${k}="${String(v)}"`)
        .join(',');
      values[inner ? `${metric.name}{${inner}}` : metric.name] = value;
    }
  }
  return values;
}

function sources(overrides: Partial<ScrapeSources> = {}): ScrapeSources {
  return {
    schedule: () => [
      { type: 'orders', intervalMinutes: 10, scheduled: true, lastRunAt: AT },
      { type: 'invoices', intervalMinutes: 20, scheduled: false, lastRunAt: AT - 60_000 },
      { type: 'prices', intervalMinutes: 60, scheduled: true, lastRunAt: null },
    ],
    queueCounts: async () => COUNTS,
    readiness: async () => ({ postgres: true, redis: true }),
    ...overrides,
  };
}

describe('scrape-time gauges', () => {
  it('export nothing but "not ready" until a process binds their sources', async () => {
    const metrics = createMetrics();
    expect(await scrape(metrics.registry)).toEqual({ sync_scheduler_ready: 0 });
  });

  it('export the interval of scheduled types only, and every known last tick in seconds', async () => {
    const metrics = createMetrics();
    metrics.scrape.bind(sources());
    const values = await scrape(metrics.registry);
    expect(values).toMatchObject({
      'sync_scheduler_interval_seconds{type="orders"}': 600,
      'sync_scheduler_interval_seconds{type="prices"}': 3600,
      'sync_scheduler_last_tick_timestamp_seconds{type="orders"}': AT / 1000,
      'sync_scheduler_last_tick_timestamp_seconds{type="invoices"}': AT / 1000 - 60,
    });
    expect(values).not.toHaveProperty('sync_scheduler_interval_seconds{type="invoices"}');
    expect(values).not.toHaveProperty('sync_scheduler_last_tick_timestamp_seconds{type="prices"}');
  });

  it('export the queue backlog by pending state, not the retention-capped ones', async () => {
    const metrics = createMetrics();
    metrics.scrape.bind(sources());
    const values = await scrape(metrics.registry);
    expect(values).toMatchObject({
      'sync_scheduler_queue_jobs{state="waiting"}': 1,
      'sync_scheduler_queue_jobs{state="prioritized"}': 20,
      'sync_scheduler_queue_jobs{state="delayed"}': 300,
      'sync_scheduler_queue_jobs{state="active"}': 4,
    });
    expect(Object.keys(values).filter((k) => /completed|failed/.test(k))).toEqual([]);
  });

  it('leave the queue gauge empty when the queue fails, without failing the scrape', async () => {
    const metrics = createMetrics();
    metrics.scrape.bind(sources({ queueCounts: () => Promise.reject(new Error('ECONNREFUSED')) }));
    const values = await scrape(metrics.registry);
    expect(Object.keys(values).filter((k) => k.includes('queue_jobs'))).toEqual([]);
    expect(values['sync_scheduler_interval_seconds{type="orders"}']).toBe(600);
  });

  it(`give up on a queue that does not answer within ${QUEUE_COUNTS_TIMEOUT_MS} ms`, async () => {
    const metrics = createMetrics();
    metrics.scrape.bind(sources({ queueCounts: () => new Promise<QueueCounts>(() => {}) }));
    const startedAt = performance.now();
    const values = await scrape(metrics.registry);
    expect(performance.now() - startedAt).toBeLessThan(QUEUE_COUNTS_TIMEOUT_MS + 400);
    expect(Object.keys(values).filter((k) => k.includes('queue_jobs'))).toEqual([]);
  });

  it('say which dependency failed and that the replica is not ready, from one check', async () => {
    const metrics = createMetrics();
    let checks = 0;
    metrics.scrape.bind(
      sources({
        readiness: async () => {
          checks++;
          return { postgres: true, redis: false };
        },
      }),
    );
    expect(await scrape(metrics.registry)).toMatchObject({
      sync_scheduler_ready: 0,
      'sync_scheduler_dependency_up{dependency="postgres"}': 1,
      'sync_scheduler_dependency_up{dependency="redis"}': 0,
    });
    expect(checks).toBe(1);
  });

  it('report ready when every dependency answers, and not ready when the check throws', async () => {
    const metrics = createMetrics();
    metrics.scrape.bind(sources());
    expect((await scrape(metrics.registry)).sync_scheduler_ready).toBe(1);
    metrics.scrape.bind(sources({ readiness: () => Promise.reject(new Error('bug')) }));
    expect((await scrape(metrics.registry)).sync_scheduler_ready).toBe(0);
  });

  it('export nothing from a source once unbound, and an old unbind leaves a newer binding', async () => {
    const metrics = createMetrics(new Registry());
    const unbindFirst = metrics.scrape.bind(sources());
    const unbindSecond = metrics.scrape.bind(sources());
    unbindFirst();
    expect(await scrape(metrics.registry)).toHaveProperty(
      ['sync_scheduler_interval_seconds{type="orders"}'],
      600,
    );
    unbindSecond();
    expect(await scrape(metrics.registry)).toEqual({ sync_scheduler_ready: 0 });
  });
});
