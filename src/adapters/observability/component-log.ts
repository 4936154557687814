import type { Logger } from './logger.js';

export type ComponentLogLevel = 'info' | 'warn' | 'error';
export type ComponentLog = (message: string, level: ComponentLogLevel, error?: unknown) => void;

/** Long-lived connections (settings feed, leader election) log through pino, with their name. */
export const componentLog =
  (logger: Logger, component: string): ComponentLog =>
  (message, level, error) =>
    logger[level]({ component, ...(error ? { err: error } : {}) }, message);
