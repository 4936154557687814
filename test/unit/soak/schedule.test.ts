import { describe, expect, it } from 'vitest';
import { INITIAL_INTERVALS, planFaults, type ScheduleOptions } from '../../../soak/schedule.js';

const options: ScheduleOptions = {
  seed: 1,
  periodMs: 600_000,
  replicas: 3,
  agents: 500,
  leaseMs: 2_000,
};

describe('soak fault schedule', () => {
  it('is the same for the same seed', () => {
    expect(planFaults(options)).toEqual(planFaults({ ...options }));
  });

  it('differs for another seed', () => {
    expect(planFaults({ ...options, seed: 2 })).not.toEqual(planFaults(options));
  });

  it('starts every fault after the warm-up and before the cool-down', () => {
    const faults = planFaults(options);
    expect(faults.length).toBeGreaterThan(30);
    for (const fault of faults) {
      expect(fault.atMs).toBeGreaterThanOrEqual(5_000);
      expect(fault.atMs).toBeLessThan(options.periodMs - 15_000);
    }
  });

  it('sometimes starts two faults at once', () => {
    const faults = planFaults(options);
    expect(faults.some((f) => f.withPrevious)).toBe(true);
    for (const f of faults.filter((x) => x.withPrevious)) {
      expect(f.atMs).toBe(faults[f.index - 1]?.atMs);
    }
  });

  it('never sets a type to a value it had before in the run', () => {
    const seen = new Map(Object.entries(INITIAL_INTERVALS).map(([t, v]) => [t, new Set([v])]));
    for (const fault of planFaults({ ...options, periodMs: 3_600_000 }).filter(
      (f) => f.kind === 'interval-change',
    )) {
      const values = seen.get(fault.type as string) as Set<number>;
      if (values.size < 8) expect(values.has(fault.intervalMinutes as number)).toBe(false);
      values.add(fault.intervalMinutes as number);
    }
  });

  it('freezes the leader for longer than its lease', () => {
    for (const f of planFaults(options).filter((x) => x.kind === 'leader-stop')) {
      expect(f.durationMs).toBeGreaterThan(options.leaseMs);
    }
  });
});
