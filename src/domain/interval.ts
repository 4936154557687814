import { invalidInput } from './errors.js';
import { SYNC_TYPES, type SyncType } from './sync-types.js';

export const MIN_INTERVAL_MINUTES = 5;
export const MAX_INTERVAL_MINUTES = 1440;
export const MS_PER_MINUTE = 60_000;

/** Minutes per sync type. */
export type Intervals = Readonly<Record<SyncType, number>>;

export const DEFAULT_INTERVALS: Intervals = {
  orders: 10,
  customers: 15,
  ddt: 20,
  invoices: 20,
  products: 30,
  prices: 60,
};

/**
 * A whole number of minutes in 5..1440. No coercion: "10" and 7.5 are refused, because a
 * fractional interval once made the database write fail after memory had been updated.
 */
export function validateIntervalMinutes(value: unknown, field = 'intervalMinutes'): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw invalidInput(field, 'must be a number');
  }
  if (!Number.isInteger(value)) throw invalidInput(field, 'must be a whole number of minutes');
  if (value < MIN_INTERVAL_MINUTES || value > MAX_INTERVAL_MINUTES) {
    throw invalidInput(
      field,
      `must be between ${MIN_INTERVAL_MINUTES} and ${MAX_INTERVAL_MINUTES} minutes`,
    );
  }
  return value;
}

export function validateIntervals(value: Record<string, unknown>): Intervals {
  const result = {} as Record<SyncType, number>;
  for (const type of SYNC_TYPES) result[type] = validateIntervalMinutes(value[type], type);
  return result;
}

export const minutesToMs = (minutes: number): number => minutes * MS_PER_MINUTE;
