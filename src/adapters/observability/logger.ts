import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may hold a secret, in any structured field we ever log. */
const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'jwtSecret',
  '*.jwtSecret',
  'password',
  '*.password',
];

/** One JSON line per event; level from LOG_LEVEL. `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'sync-scheduler' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Connection strings carry passwords: keep scheme, host, port and database only. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '[unparseable url]';
  }
}
