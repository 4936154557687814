import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * A long-lived pg.Client whose socket we hold ourselves: pg's `end()` waits for the server
 * to confirm, which a vanished server (or a partition) never does, and pg offers no
 * public way to just cut the connection.
 */
export class DedicatedClient {
  readonly client: pg.Client;
  private readonly socket = new Socket();

  constructor(config: Omit<pg.ClientConfig, 'stream'>) {
    this.client = new pg.Client({ ...config, stream: () => this.socket });
  }

  /** Connects, but gives up as soon as `signal` aborts instead of waiting out the timeout. */
  async connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Error('connection abandoned: shutting down');
    const abort = (): void => this.destroy();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await this.client.connect();
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** Says goodbye to the server if it answers within `waitMs`, then cuts; never rejects. */
  async close(waitMs = 1_000): Promise<void> {
    await Promise.race([
      this.client.end().catch(() => {}),
      sleep(waitMs, undefined, { ref: false }),
    ]);
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
