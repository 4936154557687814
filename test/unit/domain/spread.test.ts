import { describe, expect, it } from 'vitest';
import { agentPhase, spreadDelayMs, spreadWindowMs } from '../../../src/domain/spread.js';

const MINUTE = 60_000;
const WINDOW = 60_000;
const agents = Array.from({ length: 1000 }, (_, i) => `agent-${String(i).padStart(4, '0')}`);

describe('spreadDelayMs', () => {
  it('in window mode keeps the window at a tenth of the interval, at most one minute', () => {
    expect(spreadWindowMs(5 * MINUTE, 'window')).toBe(30_000);
    expect(spreadWindowMs(10 * MINUTE, 'window')).toBe(60_000);
    expect(spreadWindowMs(1440 * MINUTE, 'window')).toBe(60_000);
  });

  it('in interval mode spreads over the whole interval', () => {
    expect(spreadWindowMs(5 * MINUTE, 'interval')).toBe(5 * MINUTE);
    expect(spreadWindowMs(1440 * MINUTE, 'interval')).toBe(1440 * MINUTE);
  });

  it('scales the one-minute cap with the scheduler minute (a testing aid)', () => {
    expect(spreadWindowMs(20 * 100, 'window', 100)).toBe(100);
    expect(spreadWindowMs(5 * 100, 'window', 100)).toBe(50);
  });

  it('spreads 1,000 agents over a whole 10-minute interval evenly', () => {
    const delays = agents.map((id) => spreadDelayMs('orders', id, 10 * MINUTE));
    expect(Math.max(...delays)).toBeLessThan(10 * MINUTE);
    const buckets = Array.from({ length: 10 }, () => 0);
    for (const d of delays) buckets[Math.floor(d / MINUTE)]! += 1;
    for (const count of buckets) {
      expect(count).toBeGreaterThan(50);
      expect(count).toBeLessThan(200);
    }
  });

  it('spreads the phases of ids that differ only in their last characters', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `idle-${i}`);
    const buckets = [0, 0, 0, 0];
    for (const id of ids) buckets[Math.floor(agentPhase('orders', id) * 4)]! += 1;
    for (const count of buckets) expect(count).toBeGreaterThan(3);
  });

  it('gives each agent a phase in [0, 1) independent of its offset', () => {
    const phases = agents.map((id) => agentPhase('orders', id));
    expect(Math.min(...phases)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...phases)).toBeLessThan(1);
    expect(phases.filter((p) => p < 0.25).length).toBeGreaterThan(180);
    expect(phases.filter((p) => p < 0.25).length).toBeLessThan(320);
  });

  it('spreads 1,000 agents across the whole window', () => {
    const delays = agents.map((id) => spreadDelayMs('orders', id, WINDOW));
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
    const first = agents.map((id) => spreadDelayMs('customers', id, WINDOW));
    const again = agents.map((id) => spreadDelayMs('customers', id, WINDOW));
    expect(again).toEqual(first);
  });

  it('places an agent differently for different types', () => {
    const orders = agents.map((id) => spreadDelayMs('orders', id, WINDOW));
    const ddt = agents.map((id) => spreadDelayMs('ddt', id, WINDOW));
    expect(orders.filter((d, i) => d === ddt[i]).length).toBeLessThan(10);
  });
});
