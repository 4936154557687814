import type { TcpProxy } from '../test/support/tcp-proxy.js';

/** Toxiproxy's model: cut = close and refuse, partition = hold every byte, slow = delay. */
export type Effect =
  | { readonly kind: 'cut' }
  | { readonly kind: 'partition' }
  | { readonly kind: 'slow'; readonly ms: number };

/**
 * Faults overlap (two at once, or "all replicas" over "one replica"), but a proxy has one
 * state. Each fault adds an effect and removes it when it heals; the proxy shows the most
 * severe of those still active: cut over partition over the largest latency.
 */
export class ProxyControl {
  private readonly active = new Set<{ effect: Effect }>();
  private stopped = false;
  private applying: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly proxy: TcpProxy,
  ) {}

  get port(): number {
    return this.proxy.port;
  }

  /** The most severe effect in force, or null when the proxy just forwards. */
  severity(): Effect['kind'] | null {
    const kinds = [...this.active].map((e) => e.effect.kind);
    for (const kind of ['cut', 'partition', 'slow'] as const) if (kinds.includes(kind)) return kind;
    return null;
  }

  /** Applies `effect` now; the returned function takes it away again. */
  async add(effect: Effect): Promise<() => Promise<void>> {
    const entry = { effect };
    this.active.add(entry);
    await this.apply();
    return async () => {
      this.active.delete(entry);
      await this.apply();
    };
  }

  /** Heals everything (end of run). */
  async clear(): Promise<void> {
    this.active.clear();
    await this.apply();
  }

  close(): Promise<void> {
    this.active.clear();
    this.stopped = true;
    return this.proxy.stop();
  }

  private apply(): Promise<void> {
    // One transition at a time: stop() and start() must not interleave.
    this.applying = this.applying.then(() => this.transition());
    return this.applying;
  }

  private async transition(): Promise<void> {
    const effects = [...this.active].map((e) => e.effect);
    const cut = effects.some((e) => e.kind === 'cut');
    if (cut) {
      if (!this.stopped) {
        this.stopped = true;
        await this.proxy.stop();
      }
      return;
    }
    if (this.stopped) {
      await this.proxy.start();
      this.stopped = false;
    }
    if (effects.some((e) => e.kind === 'partition')) {
      this.proxy.blackhole();
      return;
    }
    // restore() also releases what a partition held, and resets the latency.
    this.proxy.restore();
    const latency = Math.max(0, ...effects.map((e) => (e.kind === 'slow' ? e.ms : 0)));
    if (latency > 0) this.proxy.slow(latency);
  }
}
