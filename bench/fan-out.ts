import type { Queue } from 'bullmq';
import { BullMqJobQueue } from '../src/adapters/queue/bullmq-job-queue.js';
import { toBulkJob } from '../src/adapters/queue/bullmq-job.js';
import type { SyncJob } from '../src/domain/ports/job-queue.js';
import { type Cost, costRatio, cpuChecks, cpuPerJob, measureCost } from './cost.js';
import {
  agentIds,
  benchLease,
  checksTable,
  createBenchQueue,
  DIRECT_CHUNK_SIZE,
  directPath,
  emptyForCost,
  fmt,
  fmtInt,
  median,
  progress,
  ratios,
  schedulerPath,
  spread,
  table,
  tickBatches,
  time,
  type Benchmark,
  type BenchQueue,
  type Check,
  type TickPath,
} from './support.js';

const AGENTS = 10_000;
const ROUNDS = 7;
/** The naive producer is measured on a subset (2,500 jobs of each agent type) and compared in jobs/s. */
const NAIVE_PER_TYPE = 2_500;

/** The same job without our id: BullMQ numbers it, as a naive user would let it. */
function naiveJob(job: SyncJob) {
  const { name, data, opts } = toBulkJob(job, 'unused');
  const { jobId: _unused, ...rest } = opts;
  return { name, data, opts: rest };
}

/** BullMqJobQueue as committed before the pre-check: every job goes to BullMQ. */
class UncheckedBullMqJobQueue extends BullMqJobQueue {
  protected override async heldKeys(chunk: readonly SyncJob[]): Promise<boolean[]> {
    return chunk.map(() => false);
  }
}

/** (b) Naive: one awaited queue.add per job. */
async function naiveAdds(
  queue: Queue,
  jobs: readonly ReturnType<typeof naiveJob>[],
): Promise<void> {
  for (const job of jobs) await queue.add(job.name, job.data, job.opts);
}

type Name = 'direct' | 'subject' | 'unchecked';
const NAMES: readonly Name[] = ['direct', 'subject', 'unchecked'];

interface Measured {
  readonly total: number;
  readonly naiveJobs: number;
  /** Each fresh tick, measured alone by measureCost. */
  readonly fresh: Record<Name, Cost[]>;
  /** Wall time of each duplicate tick, ms. */
  readonly duplicate: Record<Name, number[]>;
  readonly naiveMs: number[];
}

async function measure(bench: BenchQueue): Promise<Measured> {
  const batches = tickBatches(agentIds(AGENTS), Date.now());
  const total = batches.reduce((sum, batch) => sum + batch.length, 0);
  const naive = batches
    .filter((b) => b.length > 1)
    .flatMap((b) => b.slice(0, NAIVE_PER_TYPE))
    .map(naiveJob);
  // The subject and (a) are scale's two paths (support.ts), at 10,000 agents.
  const fence = benchLease(bench);
  const variants: Record<Name, TickPath> = {
    direct: directPath(bench.queue, fence.lease.term),
    subject: schedulerPath(new BullMqJobQueue(bench.queue, fence.key), fence),
    unchecked: schedulerPath(new UncheckedBullMqJobQueue(bench.queue, fence.key), fence),
  };
  const tick = async (name: Name, expected: number): Promise<void> => {
    const added = await variants[name](batches);
    if (added !== expected) throw new Error(`${name}: expected ${expected} added, got ${added}`);
  };
  const fresh: Record<Name, Cost[]> = { direct: [], subject: [], unchecked: [] };
  const duplicate: Record<Name, number[]> = { direct: [], subject: [], unchecked: [] };
  const naiveMs: number[] = [];

  for (let round = 0; round < ROUNDS; round++) {
    progress(`fan-out round ${round + 1}/${ROUNDS}`);
    // Every fresh tick (and the naive run) back to back, in a rotating order, so that a burst
    // of load from elsewhere hits them alike; each alone, since Redis CPU is the whole
    // server's. The naive run is never last: the last fresh tick leaves the queue full (and the
    // lease held) for the duplicate ticks.
    const full = NAMES.map((_, i) => NAMES[(i + round) % NAMES.length] as Name);
    const order: (Name | 'naive')[] = [...full];
    order.splice(round % NAMES.length, 0, 'naive');
    for (const name of order) {
      if (name === 'naive') {
        await bench.clear();
        naiveMs.push(await time(() => naiveAdds(bench.queue, naive)));
      } else {
        await emptyForCost(bench, fence);
        fresh[name].push(await measureCost(bench.connection, () => tick(name, total)));
      }
    }
    for (const name of round % 2 === 0 ? full : [...full].reverse()) {
      duplicate[name].push(await time(() => tick(name, 0)));
    }
  }
  await bench.clear();
  return { total, naiveJobs: naive.length, fresh, duplicate, naiveMs };
}

export const fanOut: Benchmark = {
  name: 'fan-out',
  async run() {
    const bench = await createBenchQueue('fan-out');
    let m: Measured;
    try {
      m = await measure(bench);
    } finally {
      await bench.close();
    }
    const { total, naiveJobs, fresh, duplicate, naiveMs } = m;
    const wall = (name: Name) => fresh[name].map((c) => c.wallMs);
    const rate = (jobs: number) => (ms: number) => (jobs / ms) * 1000;
    const subjectRate = wall('subject').map(rate(total));
    const directRate = wall('direct').map(rate(total));
    const naiveRate = naiveMs.map(rate(naiveJobs));

    const freshRatio = costRatio(fresh.subject, fresh.direct, (c) => c.wallMs);
    const uncheckedRatio = costRatio(fresh.unchecked, fresh.direct, (c) => c.wallMs);
    const speedup = median(ratios(subjectRate, naiveRate));
    const directSpeedup = median(ratios(directRate, naiveRate));
    const dupDirect = median(ratios(duplicate.direct, wall('direct')));
    const dupSubject = median(ratios(duplicate.subject, wall('direct')));
    const dupUnchecked = median(ratios(duplicate.unchecked, wall('direct')));

    const checks: Check[] = [
      {
        label: 'fresh tick vs direct addBulk (a)',
        target: '≤ 1.25 x',
        measured: `${fmt(freshRatio)} x`,
        pass: freshRatio <= 1.25,
      },
      ...cpuChecks(fresh.subject, fresh.direct),
      {
        label: 'duplicate tick vs a fresh direct tick (stretch)',
        target: '≤ 0.25 x',
        measured: `${fmt(dupSubject)} x`,
        pass: dupSubject <= 0.25,
      },
    ];
    const cpuRows = cpuPerJob(total).flatMap(({ label, pick, unit, digits }) => {
      const series = (name: Name) => `${spread(fresh[name].map(pick), digits)} ${unit}`;
      return [
        [
          `${label}, fresh tick: BullMqJobQueue / (a)`,
          `${fmt(costRatio(fresh.subject, fresh.direct, pick))} x`,
          `${series('subject')} vs ${series('direct')}`,
        ],
        [
          `${label}, fresh tick: without pre-check / (a)`,
          `${fmt(costRatio(fresh.unchecked, fresh.direct, pick))} x`,
          series('unchecked'),
        ],
      ];
    });
    const body = [
      `${fmtInt(total)} jobs per tick (4 agent types x ${fmtInt(AGENTS)} agents + 2 shared), ` +
        `spread with delays as the Scheduler does; the types of a tick are enqueued side by side. ` +
        `Subject: BullMqJobQueue.enqueue, fenced by a lease as the leader's ticks are. (a): ` +
        `queue.addBulk of the same jobs (names, data, options, ids of the same form) in chunks ` +
        `of ${fmtInt(DIRECT_CHUNK_SIZE)}, one chain per type, each chunk built just before it ` +
        `is sent (the scale bench's two paths). Each fresh tick runs alone on an empty queue ` +
        `(emptied, then 1 s for Redis to free the keys) and is measured by measureCost: wall ` +
        `time, Node CPU (process.cpuUsage), Redis CPU (INFO cpu deltas: the whole server's, so ` +
        `other clients of a shared Redis count too). ${ROUNDS} interleaved rounds in a rotating ` +
        `order, median of per-round ratios. The wall-clock ratios and (b) are context: (b) is ` +
        `one awaited queue.add per job, job ids left to BullMQ, measured on ${fmtInt(naiveJobs)} ` +
        `jobs (${fmtInt(NAIVE_PER_TYPE)} per agent type) and compared in jobs/s.`,
      '',
      table(
        ['figure', 'ratio (median)', 'absolute, median (min–max)'],
        [
          [
            'fresh tick wall time: BullMqJobQueue / direct addBulk (a)',
            `${fmt(freshRatio)} x`,
            `${spread(wall('subject'))} ms vs ${spread(wall('direct'))} ms`,
          ],
          [
            'fresh tick wall time: BullMqJobQueue without pre-check / (a)',
            `${fmt(uncheckedRatio)} x`,
            `${spread(wall('unchecked'))} ms`,
          ],
          ...cpuRows,
          [
            'throughput: BullMqJobQueue / naive awaited adds (b)',
            `${fmt(speedup, 1)} x`,
            `${spread(subjectRate)} jobs/s vs ${spread(naiveRate)} jobs/s`,
          ],
          [
            'throughput: direct addBulk (a) / naive (b)',
            `${fmt(directSpeedup, 1)} x`,
            `${spread(directRate)} jobs/s`,
          ],
          [
            'duplicate tick, direct addBulk / fresh direct tick',
            `${fmt(dupDirect)} x`,
            `${spread(duplicate.direct)} ms`,
          ],
          [
            'duplicate tick, BullMqJobQueue / fresh direct tick',
            `${fmt(dupSubject)} x`,
            `${spread(duplicate.subject)} ms`,
          ],
          [
            'duplicate tick, without pre-check / fresh direct tick',
            `${fmt(dupUnchecked)} x`,
            `${spread(duplicate.unchecked)} ms`,
          ],
        ],
      ),
      '',
      checksTable(checks),
    ].join('\n');
    return { title: `Fan-out: one tick of ${fmtInt(total)} jobs into Redis`, body, checks };
  },
};
