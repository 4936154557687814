import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import type { Service } from '../../src/service.js';
import { insertAgents } from '../support/postgres.js';
import {
  aPrefix,
  createTestService,
  deletePrefix,
  eventually,
  testConfig,
} from '../support/service.js';
import { useTestDatabase } from '../support/use-test-database.js';

/** `name{labels} value` lines of a Prometheus text page, as a map. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

describe('GET /metrics of a booted service on PostgreSQL and Redis', () => {
  const db = useTestDatabase();
  const prefix = aPrefix();
  const clock = new ManualClock(Date.now());
  let service: Service;
  const scrape = async () =>
    parse(await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text());

  beforeAll(async () => {
    ({ service } = createTestService(testConfig(db().url, prefix), clock));
    await service.start();
    await insertAgents(db().pool, [
      { id: 'a-1', username: 'anna' },
      { id: 'a-2', username: 'bruno' },
    ]);
    await eventually(() => service.scheduler.scheduleOf('orders').nextRunAt !== null);
    await clock.advanceAndSettle(0); // a fresh install: every type fires at once
  });

  afterAll(async () => {
    await service?.stop();
    await deletePrefix(prefix);
  });

  it('exports the readiness of each dependency', async () => {
    const samples = await scrape();
    expect(samples.get('sync_scheduler_ready')).toBe(1);
    expect(samples.get('sync_scheduler_dependency_up{dependency="postgres"}')).toBe(1);
    expect(samples.get('sync_scheduler_dependency_up{dependency="redis"}')).toBe(1);
  });

  it("exports each type's interval and when its last tick started", async () => {
    const samples = await scrape();
    expect(samples.get('sync_scheduler_interval_seconds{type="orders"}')).toBe(
      DEFAULT_INTERVALS.orders * 60,
    );
    expect(samples.get('sync_scheduler_last_tick_timestamp_seconds{type="prices"}')).toBe(
      clock.now() / 1000,
    );
  });

  it('exports the backlog BullMQ holds, by state', async () => {
    // No worker: the two agents' four agent types plus the two shared jobs stay pending.
    const backlog = await eventually(async () => {
      const samples = await scrape();
      const total = ['waiting', 'prioritized', 'delayed', 'active']
        .map((state) => samples.get(`sync_scheduler_queue_jobs{state="${state}"}`) ?? 0)
        .reduce((sum, n) => sum + n, 0);
      return total === 2 * 4 + 2 ? samples : null;
    });
    expect(backlog?.get('sync_scheduler_queue_jobs{state="prioritized"}')).toBe(2);
    expect(backlog?.get('sync_scheduler_queue_jobs{state="delayed"}')).toBe(8);
  });
});
