import { describe, expect, it } from 'vitest';
import { spreadDelayMs, spreadWindowMs } from '../../../src/domain/spread.js';

const agents = Array.from({ length: 1000 }, (_, i) => `agent-${String(i).padStart(4, '0')}`);

describe('spreadDelayMs', () => {
  it('keeps the window at a tenth of the interval, at most 60 s', () => {
    expect(spreadWindowMs(5)).toBe(30_000);
    expect(spreadWindowMs(10)).toBe(60_000);
    expect(spreadWindowMs(1440)).toBe(60_000);
  });

  it('spreads 1,000 agents across the whole window', () => {
    const delays = agents.map((id) => spreadDelayMs('orders', id, 10));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(60_000);
    // Ten 6-second buckets each hold roughly a tenth: none empty, none over double.
    const buckets = Array.from({ length: 10 }, () => 0);
    for (const d of delays) buckets[Math.floor(d / 6000)]! += 1;
    for (const count of buckets) {
      expect(count).toBeGreaterThan(50);
      expect(count).toBeLessThan(200);
    }
    expect(new Set(delays).size).toBeGreaterThan(950);
  });

  it('gives the same agent the same delay on every tick', () => {
    const first = agents.map((id) => spreadDelayMs('customers', id, 15));
    const again = agents.map((id) => spreadDelayMs('customers', id, 15));
    expect(again).toEqual(first);
  });

  it('places an agent differently for different types', () => {
    const orders = agents.map((id) => spreadDelayMs('orders', id, 10));
    const ddt = agents.map((id) => spreadDelayMs('ddt', id, 10));
    expect(orders.filter((d, i) => d === ddt[i]).length).toBeLessThan(10);
  });
});
