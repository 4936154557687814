import net from 'node:net';

/** upstream: client → server (requests); downstream: server → client (replies). */
export type ProxyDirection = 'upstream' | 'downstream';

export interface TcpProxyOptions {
  /** Sees every chunk as it enters the proxy (before any delay), e.g. to count queries. */
  readonly onChunk?: (direction: ProxyDirection, chunk: Buffer) => void;
}

export interface TcpProxy {
  readonly port: number;
  /** Refuses new connections and cuts the open ones, like a server going away. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /**
   * Network latency: every chunk in `direction` (default both) is delivered `ms` later than it
   * arrived, in order. `slow(0)` turns it off for chunks arriving from then on.
   */
  slow(ms: number, direction?: ProxyDirection | 'both'): void;
  /**
   * A partition: bytes either way are held (nothing is closed, so neither end learns anything)
   * and new connections are accepted but never answered. `restore()` delivers what was held.
   */
  blackhole(): void;
  /** Plain forwarding again: no latency, no blackhole. */
  restore(): void;
}

interface Pending {
  readonly due: number;
  readonly chunk?: Buffer;
  /** The sending side ended (FIN) or closed: do the same to the receiving side, in order. */
  readonly close?: 'end' | 'destroy';
}

/**
 * Forwards a local port to `target`, so a test can take "Redis" down and bring it back, make
 * it slow, or make it vanish without a word.
 */
export async function startTcpProxy(
  target: { host: string; port: number },
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const flushers = new Set<() => void>();
  const delayMs: Record<ProxyDirection, number> = { upstream: 0, downstream: 0 };
  let held = false;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  /** One direction of one connection: a FIFO released chunk by chunk when due. */
  const forward = (from: net.Socket, to: net.Socket, direction: ProxyDirection): void => {
    const queue: Pending[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      clearTimeout(timer);
      timer = undefined;
      if (held) return;
      const now = Date.now();
      while (queue.length > 0 && (queue[0] as Pending).due <= now) {
        const item = queue.shift() as Pending;
        if (to.destroyed) continue;
        if (item.chunk) to.write(item.chunk);
        else if (item.close === 'end') to.end();
        else to.destroy();
      }
      if (queue.length > 0) timer = setTimeout(flush, (queue[0] as Pending).due - now);
    };
    const push = (item: Omit<Pending, 'due'>): void => {
      queue.push({ ...item, due: Date.now() + delayMs[direction] });
      if (!timer) flush();
    };
    flushers.add(flush);
    from.on('data', (chunk: Buffer) => {
      options.onChunk?.(direction, chunk);
      push({ chunk });
    });
    from.on('end', () => push({ close: 'end' }));
    from.on('close', (hadError) => {
      push({ close: 'destroy' });
      // A reset (not a held partition) reaches the other side at once.
      if (hadError && !held) to.destroy();
    });
    to.on('close', () => {
      clearTimeout(timer);
      flushers.delete(flush);
    });
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    track(client);
    track(upstream);
    forward(client, upstream, 'upstream');
    forward(upstream, client, 'downstream');
  });
  let port = 0;
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
  await start();
  return {
    get port() {
      return port;
    },
    start,
    stop,
    slow(ms, direction = 'both') {
      if (direction !== 'downstream') delayMs.upstream = ms;
      if (direction !== 'upstream') delayMs.downstream = ms;
    },
    blackhole() {
      held = true;
    },
    restore() {
      held = false;
      delayMs.upstream = 0;
      delayMs.downstream = 0;
      for (const flush of flushers) flush();
    },
  };
}

/** The same URL, pointed at a local proxy's port instead of the server. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
