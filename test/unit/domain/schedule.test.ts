import { describe, expect, it } from 'vitest';
import { firstTickDelayMs } from '../../../src/domain/schedule.js';

const NOW = Date.UTC(2026, 0, 1, 8, 0, 0);
const MINUTE = 60_000;
const PERIOD = 10 * MINUTE;

describe('firstTickDelayMs', () => {
  it('is 0 for a type that never ran', () => {
    expect(firstTickDelayMs(undefined, PERIOD, NOW)).toBe(0);
  });

  it('is 0 for an overdue type, however long overdue', () => {
    expect(firstTickDelayMs(NOW - PERIOD - 1, PERIOD, NOW)).toBe(0);
    expect(firstTickDelayMs(NOW - 3 * 24 * 60 * MINUTE, PERIOD, NOW)).toBe(0);
  });

  it('is 0 for a type due exactly now', () => {
    expect(firstTickDelayMs(NOW - PERIOD, PERIOD, NOW)).toBe(0);
  });

  it('is the exact time left until one period after the last run', () => {
    expect(firstTickDelayMs(NOW - 3 * MINUTE, PERIOD, NOW)).toBe(7 * MINUTE);
    expect(firstTickDelayMs(NOW - 1, PERIOD, NOW)).toBe(PERIOD - 1);
  });

  it('is a whole period for a type that ran just now', () => {
    expect(firstTickDelayMs(NOW, PERIOD, NOW)).toBe(PERIOD);
  });
});
