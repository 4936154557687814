import net from 'node:net';

export interface PartitionProxy {
  readonly port: number;
  /**
   * A network partition: bytes either way are dropped and new connections hang, yet nothing
   * is closed, so the server keeps the sessions (and their locks) as a vanished host would.
   */
  partition(): void;
  /** What the server's TCP keepalive eventually does: drop every session behind the proxy. */
  cutServerSide(): void;
  close(): Promise<void>;
}

/** Forwards a local port to `target` until told to play a partition. */
export async function startPartitionProxy(target: {
  host: string;
  port: number;
}): Promise<PartitionProxy> {
  const sockets = new Set<net.Socket>();
  let partitioned = false;
  const track = (socket: net.Socket): net.Socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return socket;
  };
  const forward = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk) => {
      if (!partitioned) to.write(chunk);
    });
    // During a partition the far side never learns that this side closed.
    from.on('close', () => {
      if (!partitioned) to.destroy();
    });
  };
  const server = net.createServer((client) => {
    track(client);
    if (partitioned) return;
    const upstream = track(net.connect(target.port, target.host));
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    partition: () => {
      partitioned = true;
    },
    cutServerSide: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
