import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, describeUrl } from '../../../src/adapters/observability/logger.js';
import { LoggingTickObserver } from '../../../src/adapters/observability/logging-tick-observer.js';
import { createMetrics } from '../../../src/adapters/observability/metrics.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('LoggingTickObserver', () => {
  it('logs one structured line per tick and counts it', async () => {
    const { lines, logger } = capture();
    const metrics = createMetrics();
    const observer = new LoggingTickObserver(logger, metrics);
    observer.tickCompleted({
      type: 'orders',
      agents: 3,
      added: 2,
      deduplicated: 1,
      fenced: 0,
      durationMs: 12,
    });
    observer.tickFailed({
      type: 'ddt',
      stage: 'enqueue',
      error: new Error('ECONNRESET'),
      durationMs: 3,
    });
    observer.tickSkipped('prices');
    expect(lines).toMatchObject([
      {
        level: 30,
        event: 'tick',
        type: 'orders',
        agents: 3,
        enqueued: 2,
        deduplicated: 1,
        durationMs: 12,
      },
      {
        level: 50,
        event: 'tick_failed',
        type: 'ddt',
        stage: 'enqueue',
        msg: expect.stringContaining('ECONNRESET'),
      },
      { level: 40, event: 'tick_skipped', type: 'prices' },
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('sync_scheduler_jobs_enqueued_total{type="orders"} 2');
    expect(text).toContain('sync_scheduler_jobs_deduplicated_total{type="orders"} 1');
    expect(text).toContain('sync_scheduler_tick_failures_total{type="ddt",stage="enqueue"} 1');
    expect(text).toContain('sync_scheduler_ticks_total{type="prices",outcome="skipped"} 1');
  });

  it('starts the failure and fence counters at 0, so increase() sees their first event', async () => {
    const metrics = createMetrics();
    new LoggingTickObserver(capture().logger, metrics);
    const text = await metrics.registry.metrics();
    for (const stage of ['agentLookup', 'breakers', 'enqueue']) {
      expect(text).toContain(
        `sync_scheduler_tick_failures_total{type="invoices",stage="${stage}"} 0`,
      );
    }
    expect(text).toContain('sync_scheduler_fenced_chunks_total{type="prices",at="fire"} 0');
    expect(text).toContain('sync_scheduler_fenced_chunks_total{type="orders",at="chunk"} 0');
  });
});

describe('createLogger', () => {
  it('redacts authorization headers and secrets', () => {
    const { lines, logger } = capture();
    logger.info({ headers: { authorization: 'Bearer abc' }, jwtSecret: 's3cret' }, 'request');
    expect(JSON.stringify(lines)).not.toMatch(/abc|s3cret/);
  });
});

describe('describeUrl', () => {
  it('drops credentials from connection strings', () => {
    expect(describeUrl('postgres://user:pw@db:5432/app')).toBe('postgres://db:5432/app');
    expect(describeUrl('redis://:pw@127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('keeps every host of a cluster URL and drops its credentials', () => {
    expect(describeUrl('redis+cluster://u:p%40ss@10.0.0.1:7001,10.0.0.2:7002/')).toBe(
      'redis+cluster://10.0.0.1:7001,10.0.0.2:7002',
    );
    expect(describeUrl('rediss+cluster://:a@b@h1:7001,h2:7002')).toBe(
      'rediss+cluster://h1:7001,h2:7002',
    );
  });
});
