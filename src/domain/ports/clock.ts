/** Cancels a scheduled callback; calling it more than once is harmless. */
export type Cancel = () => void;

/** Time as the Scheduler sees it. Never `Date.now()` or `setInterval` in the core. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` every `ms` milliseconds, first after one full `ms`. */
  every(ms: number, fn: () => void): Cancel;
  /** Calls `fn` once, `ms` milliseconds from now (0 = as soon as possible). */
  after(ms: number, fn: () => void): Cancel;
}

export const CLOCK = Symbol.for('sync-scheduler/Clock');
