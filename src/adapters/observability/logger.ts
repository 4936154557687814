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
    return describeMultiHostUrl(url) ?? '[unparseable url]';
  }
}

/**
 * A URL with several hosts (`redis+cluster://:pw@h1:7001,h2:7002`) is no WHATWG URL: cut the
 * credentials (everything up to the authority's last '@') off by hand.
 */
function describeMultiHostUrl(url: string): string | null {
  const match = /^([a-z][a-z0-9+.-]*:)\/\/(?:[^/?#]*@)?([^/?#@]+)(\/[^?#@]*)?(?:[?#].*)?$/i.exec(
    url,
  );
  if (!match) return null;
  const [, scheme, hosts, path = ''] = match;
  return `${scheme}//${hosts}${path === '/' ? '' : path}`;
}
