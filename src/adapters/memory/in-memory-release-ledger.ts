import type { DeferredPair, ReleaseLedger } from '../../domain/ports/release-ledger.js';
import { asAdapterFailure } from './failure.js';

/** The ledger in memory, with the Redis adapter's bucketing (1/60 of the window). */
export class InMemoryReleaseLedger implements ReleaseLedger {
  private readonly releases: { at: number; count: number }[] = [];
  private readonly manual = new Map<string, DeferredPair>();
  private failure: Error | null = null;

  constructor(private readonly bucketMs = 1_000) {}

  async recordReleased(count: number, now: number): Promise<void> {
    this.check();
    if (count > 0) this.releases.push({ at: now, count });
  }

  async releasedWithin(windowMs: number, now: number): Promise<number> {
    this.check();
    const oldest = Math.floor((now - windowMs) / this.bucketMs) + 1;
    let total = 0;
    for (const { at, count } of this.releases) {
      if (Math.floor(at / this.bucketMs) >= oldest) total += count;
    }
    return total;
  }

  async deferManual(pairs: readonly DeferredPair[]): Promise<void> {
    this.check();
    for (const pair of pairs) {
      const key = `${pair.type}\u0000${pair.userId}`;
      if (!this.manual.has(key)) this.manual.set(key, pair);
    }
  }

  async takeManual(max: number): Promise<readonly DeferredPair[]> {
    this.check();
    const taken = [...this.manual.entries()]
      .sort(([, a], [, b]) => a.lastSuccessAt - b.lastSuccessAt)
      .slice(0, Math.max(0, max));
    for (const [key] of taken) this.manual.delete(key);
    return taken.map(([, pair]) => pair);
  }

  /** Makes every later call reject as unreachable (null heals it). */
  failWith(error: Error | null): void {
    this.failure = error;
  }

  private check(): void {
    if (this.failure) throw asAdapterFailure(this.failure, 'The release ledger is unreachable.');
  }
}
