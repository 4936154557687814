import { describe, expect, it } from 'vitest';
import { InMemorySyncHistory } from '../../../src/adapters/memory/in-memory-sync-history.js';
import { loadConfig } from '../../../src/config.js';
import type { Intervals } from '../../../src/domain/interval.js';
import { advance, aScheduler, MINUTE } from '../../support/scheduler-fixture.js';

/** Only orders ticks within the first day. */
const ORDERS_ONLY: Intervals = {
  orders: 10,
  customers: 1440,
  ddt: 1440,
  invoices: 1440,
  products: 1440,
  prices: 1440,
};
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How many orders jobs each agent got over all batches so far. */
function syncsPerAgent(batches: readonly (readonly { type: string; userId: string }[])[]) {
  const counts = new Map<string, number>();
  for (const job of batches.flat()) {
    if (job.type === 'orders') counts.set(job.userId, (counts.get(job.userId) ?? 0) + 1);
  }
  return counts;
}

describe('activity tiers in ticks', () => {
  it('syncs active agents every tick, idle ones every fourth, offline ones never (the defaults)', async () => {
    const fixture = aScheduler({ intervals: ORDERS_ONLY });
    const now = fixture.clock.now();
    const idle = Array.from({ length: 40 }, (_, i) => `idle-${i}`);
    fixture.agents.setAgentActivity([
      { id: 'active', lastActivityAt: now - 10 * MINUTE },
      ...idle.map((id) => ({ id, lastActivityAt: now - 5 * HOUR })),
      { id: 'offline', lastActivityAt: now - 3 * DAY },
      { id: 'never', lastActivityAt: null },
    ]);
    await fixture.start();
    for (let tick = 0; tick < 8; tick++) {
      await advance(fixture.clock, 10 * MINUTE);
      fixture.queue.completeAll();
    }
    const counts = syncsPerAgent(fixture.queue.batches);
    expect(counts.get('active')).toBe(8);
    // Each idle agent exactly every fourth tick: twice in eight, whichever its phase.
    for (const id of idle) expect(counts.get(id)).toBe(2);
    expect(counts.get('offline')).toBeUndefined();
    expect(counts.get('never')).toBeUndefined();
    // Spread over the ticks, not all on one: every tick carries some idle agents.
    for (const batch of fixture.queue.batches.filter((b) => b[0]?.type === 'orders')) {
      const idleInBatch = batch.filter((job) => job.userId.startsWith('idle-')).length;

      expect(idleInBatch).toBeGreaterThan(2);
      expect(idleInBatch).toBeLessThan(20);
    }
    expect(fixture.observer.completed.at(-1)).toMatchObject({
      type: 'orders',
      notDueTier: expect.any(Number),
    });
  });

  it('follows the multipliers set for the type, and 1 makes a tier as frequent as the active one', async () => {
    const fixture = aScheduler({ intervals: ORDERS_ONLY });
    const now = fixture.clock.now();
    fixture.agents.setAgentActivity([
      { id: 'idle', lastActivityAt: now - 5 * HOUR },
      { id: 'offline', lastActivityAt: null },
    ]);
    await fixture.start();
    await fixture.setTypeSettings('orders', { idleMultiplier: 1, offlineMultiplier: 2 });
    for (let tick = 0; tick < 6; tick++) {
      await advance(fixture.clock, 10 * MINUTE);
      fixture.queue.completeAll();
    }
    const counts = syncsPerAgent(fixture.queue.batches);
    expect(counts.get('idle')).toBe(6);
    expect(counts.get('offline')).toBe(3);
  });

  it('counts everyone as active when the host keeps no activity', async () => {
    const { clock, queue, start } = aScheduler({ agents: ['a-1', 'a-2'], intervals: ORDERS_ONLY });
    await start();
    for (let tick = 0; tick < 4; tick++) {
      await advance(clock, 10 * MINUTE);
      queue.completeAll();
    }
    expect(Object.fromEntries(syncsPerAgent(queue.batches))).toEqual({ 'a-1': 4, 'a-2': 4 });
  });
});

describe('working hours in ticks', () => {
  const weekdays = [1, 2, 3, 4, 5, 6, 7];

  it('records skipped_window outside the window and releases what fell due at the first tick inside', async () => {
    const history = new InMemorySyncHistory();
    const { clock, queue, observer, start, setWindow } = aScheduler({
      intervals: ORDERS_ONLY,
      clockStart: Date.UTC(2026, 0, 5, 6, 35), // a Monday, 06:35 UTC
      syncHistory: history,
    });
    await start();
    await setWindow('orders', { from: '07:00', to: '20:00', days: weekdays, timeZone: 'UTC' });
    await advance(clock, 10 * MINUTE); // 06:45: closed
    await advance(clock, 10 * MINUTE); // 06:55: closed
    expect(queue.batches.filter((b) => b[0]?.type === 'orders')).toHaveLength(0);
    const skipped = (await history.recentDecisions(10)).orders;
    expect(skipped).toEqual([
      expect.objectContaining({ class: 'skipped_window', count: 3 }),
      expect.objectContaining({ class: 'skipped_window', count: 3 }),
    ]);
    expect(observer.completed.at(-1)).toMatchObject({ skippedWindow: 3, added: 0 });
    await advance(clock, 10 * MINUTE); // 07:05: open
    expect(
      queue
        .pendingJobs()
        .map((job) => job.userId)
        .sort(),
    ).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('honours a window that crosses midnight, on the day it opens', async () => {
    const { clock, queue, start, setWindow } = aScheduler({
      intervals: ORDERS_ONLY,
      clockStart: Date.UTC(2026, 0, 9, 21, 55), // a Friday, 21:55 UTC
    });
    await start();
    // Friday night only: Friday 22:00 to Saturday 06:00.
    await setWindow('orders', { from: '22:00', to: '06:00', days: [5], timeZone: 'UTC' });
    await advance(clock, 10 * MINUTE); // Fri 22:05: open
    expect(queue.pendingJobs()).toHaveLength(3);
    queue.completeAll();
    await advance(clock, 7 * HOUR); // through Sat 05:05: still open
    expect(queue.pendingJobs()).toHaveLength(3);
    queue.completeAll();
    await advance(clock, 1 * HOUR); // Sat 06:05: closed
    queue.completeAll();
    await advance(clock, 10 * MINUTE);
    expect(queue.pendingJobs()).toHaveLength(0);
  });

  it('applies to shared types too', async () => {
    const history = new InMemorySyncHistory();
    const { clock, queue, start, setWindow } = aScheduler({
      intervals: { ...ORDERS_ONLY, products: 30 },
      clockStart: Date.UTC(2026, 0, 5, 3, 0),
      syncHistory: history,
    });
    await start();
    await setWindow('products', { from: '07:00', to: '20:00', days: weekdays, timeZone: 'UTC' });
    await advance(clock, 30 * MINUTE);
    expect(queue.batches.filter((b) => b[0]?.type === 'products')).toHaveLength(0);
    expect((await history.recentDecisions(10)).products[0]).toMatchObject({
      class: 'skipped_window',
      count: 1,
    });
  });
});

describe('the time scale (SCHEDULER_MINUTE_MS)', () => {
  it('makes every interval that many milliseconds per minute', async () => {
    const { clock, queue, start } = aScheduler({ intervals: ORDERS_ONLY, minuteMs: 100 });
    await start();
    await advance(clock, 1_000); // orders' 10 minutes
    expect(queue.batches.filter((b) => b[0]?.type === 'orders')).toHaveLength(1);
    queue.completeAll();
    await advance(clock, 1_000);
    expect(queue.batches.filter((b) => b[0]?.type === 'orders')).toHaveLength(2);
  });

  it('scales the working hours: a virtual day of 144 s at 100 ms a minute', async () => {
    // Virtual time = real time × 600: epoch ms 0 is 1970-01-01 00:00 (a Thursday) in both.
    const virtualMidnight = Date.UTC(2026, 0, 5) / 600; // a Monday, scaled
    const { clock, queue, start, setWindow } = aScheduler({
      intervals: ORDERS_ONLY,
      minuteMs: 100,
      clockStart: virtualMidnight + 6.9 * 6_000, // virtual 06:54
    });
    await start();
    await setWindow('orders', { from: '07:00', to: '20:00', days: [1], timeZone: 'UTC' });
    await advance(clock, 1_000); // virtual 07:04
    expect(queue.pendingJobs()).toHaveLength(3);
  });

  it('scales the tiers and the breaker periods, and is refused in production', () => {
    const config = loadConfig({ SCHEDULER_MINUTE_MS: '100' });
    expect(config.minuteMs).toBe(100);
    expect(config.tierRules).toEqual({ activeWithinMs: 120 * 100, idleWithinMs: 1440 * 100 });
    expect(config.pairBreakerRules.consecutiveOpenMs).toBe(120 * 100);
    expect(config.erpBreakerRules.coolDownMs).toBe(5 * 100);
    expect(() => loadConfig({ SCHEDULER_MINUTE_MS: '100', NODE_ENV: 'production' })).toThrow(
      /SCHEDULER_MINUTE_MS is a testing aid and is refused with NODE_ENV=production/,
    );
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).minuteMs).toBe(
      60_000,
    );
  });
});
