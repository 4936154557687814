import { injectable } from 'inversify';
import type { Cancel, Clock } from '../../domain/ports/clock.js';

/** The real clock: Date.now, setInterval and setTimeout. */
@injectable()
export class TimerClock implements Clock {
  now(): number {
    return Date.now();
  }

  every(ms: number, fn: () => void): Cancel {
    const handle = setInterval(fn, ms);
    return () => clearInterval(handle);
  }

  after(ms: number, fn: () => void): Cancel {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  }
}
