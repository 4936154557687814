import { describe, expect, it } from 'vitest';
import { healthOf, type HealthInput } from '../../../src/domain/health.js';
import type { SyncEvent } from '../../../src/domain/ports/sync-history.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const event = (success: boolean, minutesAgo: number): SyncEvent => ({
  jobId: `j-${minutesAgo}`,
  type: 'orders',
  userId: 'a-1',
  success,
  finishedAt: NOW - minutesAgo * 60_000,
  durationMs: 1200,
  error: success ? null : 'ERP timeout',
});
const base: HealthInput = {
  autoSyncRunning: true,
  enabled: true,
  intervalMs: 600_000,
  lastRunAt: NOW - 60_000,
  history: [event(true, 1)],
  now: NOW,
};

describe('healthOf', () => {
  it('is healthy when it ran recently and recent jobs succeeded', () => {
    expect(healthOf(base)).toBe('healthy');
  });

  it('is paused when the type is disabled, whatever else holds', () => {
    expect(healthOf({ ...base, enabled: false, lastRunAt: null })).toBe('paused');
  });

  it('is idle when auto-sync is stopped or the type never ran', () => {
    expect(healthOf({ ...base, autoSyncRunning: false })).toBe('idle');
    expect(healthOf({ ...base, lastRunAt: null, history: [] })).toBe('idle');
  });

  it('is stale when no tick came for more than two intervals', () => {
    expect(healthOf({ ...base, lastRunAt: NOW - 20 * 60_000 })).toBe('healthy');
    expect(healthOf({ ...base, lastRunAt: NOW - 20 * 60_000 - 1 })).toBe('stale');
  });

  it('is degraded when one of the five newest jobs failed', () => {
    const history = [event(true, 1), event(true, 2), event(false, 3), event(true, 4)];
    expect(healthOf({ ...base, history })).toBe('degraded');
    const old = [1, 2, 3, 4, 5].map((m) => event(true, m)).concat(event(false, 6));
    expect(healthOf({ ...base, history: old })).toBe('healthy');
  });

  it('is degraded, never healthy, while a breaker holds its jobs back (skips are not successes)', () => {
    const allGood = [1, 2, 3, 4, 5].map((m) => event(true, m));
    expect(healthOf({ ...base, history: allGood, breakerOpen: true })).toBe('degraded');
    expect(healthOf({ ...base, history: [], breakerOpen: true })).toBe('degraded');
    expect(healthOf({ ...base, history: allGood, breakerOpen: false })).toBe('healthy');
  });
});
