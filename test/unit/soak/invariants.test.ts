import { describe, expect, it } from 'vitest';
import { encodeJobId } from '../../../src/adapters/queue/job-id.js';
import type { SyncType } from '../../../src/domain/sync-types.js';
import { checkInvariants, INVARIANTS, type Recording } from '../../../soak/invariants.js';
import type { JobRecord } from '../../../soak/worker.js';

const T0 = 1_000_000;
const MINUTE = 1_000;
const INTERVALS = { orders: 5, customers: 5, ddt: 5, invoices: 5, products: 5, prices: 5 };

let seq = 0;
function aJob(
  type: SyncType,
  userId: string,
  term: number | null,
  at: number,
  finishedAt?: number,
): JobRecord {
  return {
    id: encodeJobId({ producer: 'p', term, seq: ++seq, type, userId }),
    type,
    userId,
    term,
    producer: 'p',
    createdAt: at,
    tickAt: at,
    attempts: 1,
    ...(finishedAt === undefined ? {} : { finishedAt, outcome: 'completed' as const }),
  };
}

/** One agent, every pair enqueued every 5 s from T0, each job done 100 ms later, term 1 throughout. */
function aRecording(overrides: Partial<Recording> = {}): Recording {
  const jobs: JobRecord[] = [];
  for (let at = T0; at < T0 + 60_000; at += 5_000) {
    for (const type of ['orders', 'customers', 'ddt', 'invoices'] as const)
      jobs.push(aJob(type, 'a-1', 1, at, at + 100));
    for (const type of ['products', 'prices'] as const)
      jobs.push(aJob(type, 'service-account', 1, at, at + 100));
  }
  return {
    replicas: 1,
    agents: ['a-1'],
    leaseMs: 2_000,
    pollMs: 500,
    minuteMs: MINUTE,
    initialIntervals: INTERVALS,
    t0: T0,
    tEnd: T0 + 60_000,
    leasePolls: [
      { sentAt: T0 - 1_000, repliedAt: T0 - 999, value: null, counter: 0 },
      { sentAt: T0 - 500, repliedAt: T0 - 499, value: 'host-42-abcdef:1', counter: 1 },
    ],
    pending: [],
    settings: [],
    heap: [],
    jobs,
    activations: jobs.length,
    overlaps: [],
    finalDuplicates: [],
    faults: [],
    changes: [],
    starts: [{ slot: 0, pid: 42, at: T0 - 2_000 }],
    exits: [],
    http: { answered: 0, serverErrors: [] },
    logs: { lines: 0, escaped: [] },
    ...overrides,
  };
}

const violationsOf = (rec: Recording, name: string) =>
  checkInvariants(rec).find((r) => r.name === name)?.violations;

describe('soak invariants', () => {
  it('all hold for a steady single leader', () => {
    for (const result of checkInvariants(aRecording()))
      expect(result.violations, result.name).toBe(0);
  });

  it('flag a job built after its term lost the lease key', () => {
    const rec = aRecording();
    const polls = [
      ...rec.leasePolls,
      { sentAt: T0 + 30_000, repliedAt: T0 + 30_001, value: 'host-43-abcdef:2', counter: 2 },
    ];
    const stale = aJob('orders', 'a-1', 1, T0 + 31_000, T0 + 31_100);
    const jobs = [...rec.jobs.filter((j) => j.createdAt < T0 + 30_000), stale];
    expect(violationsOf({ ...rec, leasePolls: polls, jobs }, INVARIANTS.lease)).toBe(1);
  });

  it('flag a pair pending twice in one snapshot', () => {
    const pending = [
      { at: T0 + 1_000, pairs: 1, jobs: 2, duplicates: [{ pair: 'orders|a-1', ids: ['x', 'y'] }] },
    ];
    expect(violationsOf(aRecording({ pending }), INVARIANTS.pending)).toBe(1);
  });

  it('flag a pair left without a job for well over an interval', () => {
    const rec = aRecording();
    const jobs = rec.jobs.filter(
      (j) => !(j.type === 'orders' && j.createdAt > T0 + 10_000 && j.createdAt < T0 + 40_000),
    );
    expect(violationsOf({ ...rec, jobs }, INVARIANTS.atLeast)).toBe(1);
  });

  it('flag two ticks of one pair within an interval', () => {
    const rec = aRecording();
    const jobs = [...rec.jobs, aJob('orders', 'a-1', 1, T0 + 7_000, T0 + 7_100)];
    expect(violationsOf({ ...rec, jobs }, INVARIANTS.atMost)).toBe(2);
  });

  it('flag an interval answered 503 that shows up in PostgreSQL', () => {
    const changes = [
      {
        fault: 0,
        type: 'orders' as const,
        field: 'intervalMinutes' as const,
        value: 9,
        replica: 0,
        sentAt: T0 + 1_000,
        answeredAt: T0 + 6_000,
        status: 503,
        detail: 'unreachable',
      },
    ];
    const settings = [
      {
        source: 'pg' as const,
        sentAt: T0 + 9_000,
        at: T0 + 9_001,
        intervals: { ...INTERVALS, orders: 9 },
        enabled: {
          orders: true,
          customers: true,
          ddt: true,
          invoices: true,
          products: true,
          prices: true,
        },
      },
    ];
    expect(violationsOf(aRecording({ changes, settings }), INVARIANTS.refused)).toBe(1);
  });

  it('blame a pause that shows up in PostgreSQL on the refused pause before it, not an older one', () => {
    const pause = { type: 'ddt' as const, field: 'enabled' as const, replica: 0, detail: '' };
    const changes = [
      { ...pause, fault: 1, value: false, sentAt: T0 + 1_000, answeredAt: T0 + 1_010, status: 503 },
      { ...pause, fault: 1, value: true, sentAt: T0 + 5_000, answeredAt: T0 + 5_010, status: 200 },
      {
        ...pause,
        fault: 2,
        value: false,
        sentAt: T0 + 9_000,
        answeredAt: T0 + 20_000,
        status: 503,
      },
      {
        ...pause,
        fault: 2,
        value: true,
        sentAt: T0 + 30_000,
        answeredAt: T0 + 30_010,
        status: 200,
      },
    ];
    const enabled = {
      orders: true,
      customers: true,
      ddt: false,
      invoices: true,
      products: true,
      prices: true,
    };
    const settings = [
      {
        source: 'pg' as const,
        sentAt: T0 + 21_000,
        at: T0 + 21_001,
        intervals: INTERVALS,
        enabled,
      },
    ];
    const result = checkInvariants(aRecording({ changes, settings })).find(
      (r) => r.name === INVARIANTS.refused,
    );
    expect(result?.violations).toBe(1);
    expect(result?.details[0]).toContain('at +20.0s');
  });

  it('flag an exit the soak did not cause, and a SIGTERM that did not exit 0', () => {
    const exits = [
      { slot: 0, pid: 42, at: T0 + 5_000, code: 1, signal: null, causedBy: null },
      { slot: 0, pid: 43, at: T0 + 9_000, code: 1, signal: null, causedBy: 'SIGTERM' as const },
      {
        slot: 0,
        pid: 44,
        at: T0 + 9_000,
        code: null,
        signal: 'SIGKILL' as const,
        causedBy: 'SIGKILL' as const,
      },
    ];
    expect(violationsOf(aRecording({ exits }), INVARIANTS.exits)).toBe(2);
  });
});
