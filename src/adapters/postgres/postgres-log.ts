export type PostgresLogLevel = 'info' | 'warn' | 'error';

/**
 * How the long-lived sessions (settings feed, leader election) report what happens to
 * them. A plain `(message) => void` fits too; the composition root forwards to pino.
 */
export type PostgresLog = (message: string, level: PostgresLogLevel, error?: unknown) => void;

/** Doubles from `minMs` on each consecutive failure, never beyond `maxMs`. */
export const backoffMs = (failures: number, minMs: number, maxMs: number): number =>
  Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1));
