import { MAX_MULTIPLIER, MIN_MULTIPLIER } from './activity.js';
import { invalidInput } from './errors.js';

export const MULTIPLIER_RANGE = `must be between ${MIN_MULTIPLIER} and ${MAX_MULTIPLIER}`;

/**
 * A tier multiplier: a whole number of intervals in 0..100 (0 = never by ticks). No coercion,
 * for the reason the interval has none: "4" and 1.5 are refused before anything is stored.
 */
export function validateMultiplier(value: unknown, field: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw invalidInput(field, 'must be a number');
  }
  if (!Number.isInteger(value)) throw invalidInput(field, 'must be a whole number');
  if (value < MIN_MULTIPLIER || value > MAX_MULTIPLIER) throw invalidInput(field, MULTIPLIER_RANGE);
  return value;
}
