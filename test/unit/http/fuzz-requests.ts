/**
 * Deterministic random HTTP requests for the fuzz test: a seeded PRNG, so a failure prints
 * its seed and index and replays exactly.
 */

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface Tokens {
  readonly admin: string;
  readonly viewer: string;
  readonly expired: string;
  readonly wrongKey: string;
}

/** mulberry32: tiny, fast, good enough to pick test cases. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const TYPES = ['orders', 'customers', 'ddt', 'invoices', 'products', 'prices'];
const ROUTES = [
  '/api/sync/auto-sync/status',
  '/api/sync/auto-sync/start',
  '/api/sync/auto-sync/stop',
  '/api/sync/intervals',
  '/api/sync/monitoring/status',
  '/api/sync/windows',
  '/api/sync/pause/orders',
  '/api/sync/resume/orders',
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
];
const TYPED_ROUTES = [
  '/api/sync/intervals/',
  '/api/sync/trigger/',
  '/api/sync/pause/',
  '/api/sync/resume/',
  '/api/sync/windows/',
];
const METHODS = ['GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
const RARE_METHODS = ['OPTIONS', 'PROPFIND', 'PURGE', 'SEARCH', 'MKCOL', 'LOCK', 'REPORT'];
const NEAR_TYPES = ['order', 'ORDERS', 'sync-', 'sync-sync-orders', 'orders ', '', '..', '%2e%2e'];
const CHARS = 'aZ09-_.~!$&\'()*+,;=:@/?#[]%\\ "<>^`{|}' + 'éß中文🙂\u0000\u200b\uffff';
const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json;;;',
  'garbage',
  'application/xml',
];

function randomString(rng: Rng, max: number): string {
  let s = '';
  for (let i = rng.int(max); i > 0; i--) s += rng.pick([...CHARS]);
  return s;
}

function path(rng: Rng): string {
  const type = rng.chance(0.6) ? rng.pick(TYPES) : rng.pick(NEAR_TYPES);
  const typed = rng.pick(TYPED_ROUTES) + rng.pick([type, `sync-${type}`]);
  switch (rng.int(9)) {
    case 0:
    case 1:
      return rng.pick(ROUTES);
    case 2:
    case 3:
      return typed;
    case 4: // near-valid spellings
      return rng.pick([
        `${typed}/`,
        `${typed}/extra`,
        typed.toUpperCase(),
        typed.replace('/api', '/api/'),
        `${rng.pick(ROUTES)}?limit=${rng.pick(['0', '5', '100', '101', '-1', 'x', '1e1', '', '5&limit=6'])}`,
        '/api/sync',
        '/api/sync/',
        '/api/syncx/intervals',
      ]);
    case 5:
      return `/${encodeURIComponent(randomString(rng, 40))}`;
    case 6: // raw, invalid or truncated percent-encoding and unicode
      return `/api/sync/${rng.pick(['intervals', 'trigger', 'pause', 'resume'])}/${rng.pick(['%', '%zz', '%E0%A4%A', '%00', '%2F', '%C0%AF', '🙂', 'é'])}`;
    case 7:
      return `/${'a/'.repeat(rng.int(2000))}${randomString(rng, 20).replace(/[#?]/g, '')}`;
    default:
      return `/api/sync/${randomString(rng, 30).replace(/[#?]/g, '')}`;
  }
}

function jsonValue(rng: Rng, depth: number): unknown {
  switch (depth > 3 ? rng.int(5) : rng.int(8)) {
    case 0:
      return null;
    case 1:
      return rng.pick([0, 5, 10, 1440, 1441, -1, 7.5, 1e308, Number.MAX_SAFE_INTEGER]);
    case 2:
      return rng.pick(['', '10', 'orders', 'a-1', 'x'.repeat(300), '\u0000']);
    case 3:
      return rng.chance(0.5);
    case 4:
      return randomString(rng, 10);
    case 5:
      return Array.from({ length: rng.int(4) }, () => jsonValue(rng, depth + 1));
    default: {
      const keys = [
        'intervalMinutes',
        'idleMultiplier',
        'offlineMultiplier',
        'userId',
        'from',
        'to',
        'days',
        'timeZone',
        '__proto__',
        'constructor',
        randomString(rng, 6),
      ];
      return Object.fromEntries(
        keys.filter(() => rng.chance(0.5)).map((k) => [k, jsonValue(rng, depth + 1)]),
      );
    }
  }
}

function body(rng: Rng): string | undefined {
  switch (rng.int(10)) {
    case 0:
      return undefined;
    case 1:
      return '';
    case 2:
      return JSON.stringify({ intervalMinutes: rng.pick([5, 10, 60, 1440]) });
    case 3:
      return rng.chance(0.5)
        ? JSON.stringify({ userId: rng.pick(['a-1', 'a-2', 'nobody']) })
        : JSON.stringify({
            from: rng.pick(['07:00', '23:59', '24:00', '7:00']),
            to: rng.pick(['20:00', '07:00', '00:00']),
            days: rng.pick([[1, 2, 3, 4, 5], [], [7, 7], [0], [6, 7]]),
            timeZone: rng.pick(['Europe/Rome', 'UTC', 'Mars/Olympus', '+01:00', '']),
          });
    case 4: {
      const text = JSON.stringify(jsonValue(rng, 0)) ?? 'null';
      return rng.chance(0.3) ? text.slice(0, rng.int(text.length)) : text;
    }
    case 5: // huge
      return JSON.stringify({ intervalMinutes: 10, pad: 'x'.repeat(16_000 + rng.int(200_000)) });
    case 6: // deeply nested, under and over the limit
      return rng.chance(0.5)
        ? `${'['.repeat(5000)}${']'.repeat(5000)}`
        : `${'{"a":'.repeat(2000 + rng.int(4000))}1${'}'.repeat(2000)}`;
    case 7:
      return randomString(rng, 200);
    default:
      return JSON.stringify(jsonValue(rng, 0)) ?? 'null';
  }
}

function authorization(rng: Rng, tokens: Tokens): string | undefined {
  return rng.pick([
    `Bearer ${tokens.admin}`,
    `Bearer ${tokens.admin}`,
    `Bearer ${tokens.admin}`,
    `Bearer ${tokens.viewer}`,
    `Bearer ${tokens.expired}`,
    `Bearer ${tokens.wrongKey}`,
    `Bearer ${tokens.admin.slice(0, -3)}`,
    `bearer ${tokens.admin}`,
    'Bearer',
    'Basic YWRtaW46YWRtaW4=',
    `Bearer ${randomString(rng, 40).replace(/[^\x20-\x7e]/g, '')}`,
    undefined,
  ]);
}

/** A route's own method, so that half of the requests get past routing to auth and bodies. */
function aimed(rng: Rng): [string, string] {
  const type = rng.chance(0.8) ? rng.pick(TYPES) : rng.pick(NEAR_TYPES);
  return rng.pick<[string, string]>([
    ['POST', `/api/sync/intervals/${type}`],
    ['POST', `/api/sync/intervals/sync-${type}`],
    ['POST', `/api/sync/trigger/${type}`],
    ['POST', `/api/sync/trigger/sync-${type}`],
    ['POST', `/api/sync/pause/${type}`],
    ['POST', `/api/sync/resume/sync-${type}`],
    ['PUT', `/api/sync/windows/${type}`],
    ['DELETE', `/api/sync/windows/sync-${type}`],
    ['POST', '/api/sync/auto-sync/start'],
    ['POST', '/api/sync/auto-sync/stop'],
    ['GET', `/api/sync/monitoring/status?limit=${rng.pick(['1', '10', '100', '0', 'x', ''])}`],
    ['GET', '/api/sync/intervals'],
  ]);
}

export function randomRequest(rng: Rng, tokens: Tokens): FuzzRequest {
  const [method, target] = rng.chance(0.5)
    ? aimed(rng)
    : [rng.chance(0.9) ? rng.pick(METHODS) : rng.pick(RARE_METHODS), path(rng)];
  const headers: Record<string, string> = {};
  const auth = rng.chance(0.4) ? `Bearer ${tokens.admin}` : authorization(rng, tokens);
  if (auth !== undefined) headers.authorization = auth;
  if (rng.chance(0.8)) headers['content-type'] = rng.pick(CONTENT_TYPES);
  if (rng.chance(0.05)) headers['content-encoding'] = rng.pick(['gzip', 'deflate', 'br', 'bogus']);
  const canHaveBody = method !== 'GET' && method !== 'HEAD';
  const content = canHaveBody ? body(rng) : undefined;
  return { method, path: target, headers, ...(content === undefined ? {} : { body: content }) };
}
