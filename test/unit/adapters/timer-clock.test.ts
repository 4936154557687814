import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimerClock } from '../../../src/adapters/clock/timer-clock.js';

// The one place global fake timers belong: the adapter over the real timers.
describe('TimerClock', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-01-01T08:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('reads the wall clock', () => {
    expect(new TimerClock().now()).toBe(Date.parse('2026-01-01T08:00:00Z'));
  });

  it('repeats every() until cancelled', () => {
    const calls: number[] = [];
    const cancel = new TimerClock().every(1000, () => calls.push(Date.now()));
    vi.advanceTimersByTime(3000);
    cancel();
    vi.advanceTimersByTime(3000);
    expect(calls).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires after() once, and not at all when cancelled first', () => {
    const clock = new TimerClock();
    let fired = 0;
    clock.after(500, () => fired++);
    const cancel = clock.after(500, () => fired++);
    cancel();
    vi.advanceTimersByTime(10_000);
    expect(fired).toBe(1);
  });

  it('treats a negative delay as "as soon as possible"', () => {
    let fired = false;
    new TimerClock().after(-5, () => (fired = true));
    vi.advanceTimersByTime(0);
    expect(fired).toBe(true);
  });
});
