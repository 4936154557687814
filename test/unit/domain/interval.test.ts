import { describe, expect, it } from 'vitest';
import {
  minutesToMs,
  validateIntervalMinutes,
  validateIntervals,
} from '../../../src/domain/interval.js';
import { parseSyncType } from '../../../src/domain/sync-types.js';

describe('validateIntervalMinutes', () => {
  it.each([5, 6, 60, 1440])('accepts %s', (value) => {
    expect(validateIntervalMinutes(value)).toBe(value);
  });

  it.each([
    [4, 'must be between 5 and 1440 minutes'],
    [1441, 'must be between 5 and 1440 minutes'],
    [0, 'must be between 5 and 1440 minutes'],
    [-10, 'must be between 5 and 1440 minutes'],
    [7.5, 'must be a whole number of minutes'],
    [Infinity, 'must be a whole number of minutes'],
    ['10', 'must be a number'],
    [null, 'must be a number'],
    [true, 'must be a number'],
  ])('refuses %s: %s', (value, reason) => {
    expect(() => validateIntervalMinutes(value)).toThrow(`intervalMinutes ${reason}`);
  });

  it('names the field it was asked to check', () => {
    expect(() => validateIntervalMinutes(3, 'orders')).toThrow(/^orders must be between/);
  });

  it('converts minutes to milliseconds', () => {
    expect(minutesToMs(5)).toBe(300_000);
  });
});

describe('validateIntervals', () => {
  it('requires all six types', () => {
    expect(() => validateIntervals({ orders: 10 })).toThrow('customers must be a number');
  });
});

describe('parseSyncType', () => {
  it.each(['orders', 'sync-orders'])('accepts %s', (raw) => {
    expect(parseSyncType(raw)).toBe('orders');
  });

  it.each(['order', 'sync-', 'ORDERS', '', 42, undefined])('refuses %s naming the six', (raw) => {
    expect(() => parseSyncType(raw)).toThrow(
      'type must be one of orders, customers, ddt, invoices, products, prices',
    );
  });
});
