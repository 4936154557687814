import { describe, expect, it } from 'vitest';
import {
  bucketStart,
  chartWindow,
  historyFrom,
  MAX_CHART_SLOTS,
  slotCount,
} from '../../../src/domain/chart-slots.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2026, 0, 1, 8, 7, 30);

describe('chart slots', () => {
  describe('chartWindow', () => {
    it('makes one slot per interval, aligned to its size, from the slot holding now − range', () => {
      expect(chartWindow(NOW, 24 * HOUR, 10 * MINUTE)).toEqual({
        from: Date.UTC(2025, 11, 31, 8, 0, 0),
        to: NOW,
        slotMs: 10 * MINUTE,
      });
    });

    it('never makes more than MAX_CHART_SLOTS, for every range and interval the API allows', () => {
      for (const hours of [1, 2, 5, 23, 24, 25, 71, 100, 167, 168]) {
        for (const minutes of [5, 6, 7, 10, 13, 15, 20, 30, 60, 90, 1440]) {
          for (const now of [NOW, NOW - 7_500, Date.UTC(2026, 0, 1)]) {
            const { from, to, slotMs } = chartWindow(now, hours * HOUR, minutes * MINUTE);
            const count = slotCount(from, to, slotMs);
            expect(count, `${hours} h, ${minutes} min`).toBeLessThanOrEqual(MAX_CHART_SLOTS);
            expect(slotMs % (minutes * MINUTE)).toBe(0);
            expect(from).toBeLessThanOrEqual(now - hours * HOUR);
            expect(from + count * slotMs).toBeGreaterThan(now);
          }
        }
      }
    });

    it('scales with a scheduler minute of a few milliseconds (SCHEDULER_MINUTE_MS)', () => {
      const { from, to, slotMs } = chartWindow(NOW, 24 * HOUR, 5 * 10);
      expect(slotMs % 50).toBe(0);
      expect(slotCount(from, to, slotMs)).toBeLessThanOrEqual(MAX_CHART_SLOTS);
    });
  });

  describe('slotCount', () => {
    it('counts up to the slot holding `to`, and none before `from`', () => {
      expect(slotCount(0, 0, 10)).toBe(1);
      expect(slotCount(0, 9, 10)).toBe(1);
      expect(slotCount(0, 10, 10)).toBe(2);
      expect(slotCount(10, 0, 10)).toBe(0);
      expect(() => slotCount(0, 10, 0)).toThrow(RangeError);
    });
  });

  describe('bucketStart', () => {
    it('floors to the scheduler minute, a bucket starting exactly on its minute', () => {
      expect(bucketStart(NOW, MINUTE)).toBe(Date.UTC(2026, 0, 1, 8, 7, 0));
      expect(bucketStart(Date.UTC(2026, 0, 1, 8, 7, 0), MINUTE)).toBe(Date.UTC(2026, 0, 1, 8, 7));
      expect(bucketStart(Date.UTC(2026, 0, 1, 8, 7, 0) - 1, MINUTE)).toBe(
        Date.UTC(2026, 0, 1, 8, 6),
      );
      expect(bucketStart(1_234, 100)).toBe(1_200);
    });
  });

  describe('historyFrom', () => {
    it('is the age bound when it falls inside the range, else null', () => {
      expect(historyFrom(100, 50)).toBeNull();
      expect(historyFrom(100, 100)).toBeNull();
      expect(historyFrom(100, 150)).toBe(150);
    });
  });
});
