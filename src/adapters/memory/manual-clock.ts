import type { Cancel, Clock } from '../../domain/ports/clock.js';

interface Timer {
  readonly id: number;
  dueAt: number;
  readonly periodMs: number | null;
  readonly fn: () => void;
}

/** A Clock that only moves when told to: `advance(ms)` fires due timers in time order. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(startAt = Date.UTC(2026, 0, 1, 8, 0, 0)) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  every(ms: number, fn: () => void): Cancel {
    return this.add(ms, Math.max(1, ms), fn);
  }

  after(ms: number, fn: () => void): Cancel {
    return this.add(ms, null, fn);
  }

  /** Moves time forward, firing every timer that falls due, earliest (then oldest) first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) {
      this.current = Math.max(this.current, timer.dueAt);
      if (timer.periodMs === null) this.timers.delete(timer.id);
      else timer.dueAt += timer.periodMs;
      timer.fn();
    }
    this.current = target;
  }

  /**
   * Like advance(), but lets pending promise callbacks run after each timer, as a real event
   * loop would: an async tick started at 10:00 finishes before the 10:05 timer fires.
   */
  async advanceAndSettle(ms: number): Promise<void> {
    const target = this.current + ms;
    for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) {
      this.advance(timer.dueAt - this.current);
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** Timers not yet cancelled (one-shot timers leave once fired): the leak detector. */
  pendingTimers(): number {
    return this.timers.size;
  }

  private add(ms: number, periodMs: number | null, fn: () => void): Cancel {
    const id = this.nextId++;
    this.timers.set(id, { id, dueAt: this.current + Math.max(0, ms), periodMs, fn });
    return () => {
      this.timers.delete(id);
    };
  }

  private nextDue(target: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.dueAt > target) continue;
      if (!best || timer.dueAt < best.dueAt || (timer.dueAt === best.dueAt && timer.id < best.id)) {
        best = timer;
      }
    }
    return best;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
