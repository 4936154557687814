/**
 * `REDIS_URL` names one Redis (`redis://` or `rediss://`, as ioredis reads it) or a Redis
 * Cluster: `redis+cluster://[user:password@]host:port,host:port[/]` (`rediss+cluster://` for
 * TLS). The cluster's hosts are seed nodes: any of its masters, the client discovers the rest.
 * One variable, so the connection is still one secret-bearing string, logged without its
 * credentials; a WHATWG URL has one host, hence the parsing here.
 */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly { readonly host: string; readonly port: number }[];
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
    };

/**
 * A URL this service cannot use. The message says why, to follow the variable's name, and never
 * contains the URL (it may hold a password).
 */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

const CLUSTER = /^(rediss?)\+cluster:\/\/([^/?#]*)(\/[^?#]*)?$/;
const DEFAULT_PORT = 6379;

export const isClusterUrl = (url: string): boolean => /^rediss?\+cluster:/i.test(url);

export function parseRedisUrl(url: string): RedisTarget {
  if (!isClusterUrl(url)) return { kind: 'single', url: singleUrl(url) };
  const match = CLUSTER.exec(url);
  if (!match) throw new RedisUrlError('must have no query or fragment in the cluster form');
  const [, scheme, authority = '', path = ''] = match;
  if (path !== '' && path !== '/' && path !== '/0') {
    throw new RedisUrlError(
      'must name no database in the cluster form (a Redis Cluster has database 0 only)',
    );
  }
  // Credentials end at the last '@': a password's own '@' must be percent-encoded anyway.
  const at = authority.lastIndexOf('@');
  const credentials = at === -1 ? undefined : authority.slice(0, at);
  const hosts = authority.slice(at + 1);
  if (hosts === '') throw new RedisUrlError('must name at least one host:port in the cluster form');
  const colon = credentials?.indexOf(':') ?? -1;
  const user =
    credentials === undefined ? '' : colon === -1 ? credentials : credentials.slice(0, colon);
  const pass = credentials === undefined || colon === -1 ? '' : credentials.slice(colon + 1);
  return {
    kind: 'cluster',
    nodes: hosts.split(',').map(seedNode),
    username: user === '' ? undefined : decode(user),
    password: pass === '' ? undefined : decode(pass),
    tls: scheme === 'rediss',
  };
}

function singleUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError('is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisUrlError(
      'must start with redis://, rediss://, redis+cluster:// or rediss+cluster://',
    );
  }
  return url;
}

function seedNode(text: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(`redis://${text}`);
  } catch {
    throw new RedisUrlError('has a cluster node that is not host:port');
  }
  if (parsed.hostname === '' || parsed.pathname !== '' || parsed.username !== '') {
    throw new RedisUrlError('has a cluster node that is not host:port');
  }
  // WHATWG keeps an IPv6 host in brackets; ioredis wants it bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port === '' ? DEFAULT_PORT : Number(parsed.port) };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError('has credentials that are not percent-encoded correctly');
  }
}
