import type { Queue } from 'bullmq';
import { BullMqJobQueue, ENQUEUE_CHUNK_SIZE } from '../src/adapters/queue/bullmq-job-queue.js';
import { toBulkJob } from '../src/adapters/queue/bullmq-job.js';
import type { SyncJob } from '../src/domain/ports/job-queue.js';
import {
  agentIds,
  checksTable,
  createBenchQueue,
  fmt,
  fmtInt,
  median,
  progress,
  ratios,
  spread,
  table,
  tickBatches,
  time,
  type Benchmark,
  type BenchQueue,
  type Check,
} from './support.js';

const AGENTS = 10_000;
const ROUNDS = 7;
/** The naive producer is measured on a subset (2,500 jobs of each agent type) and compared in jobs/s. */
const NAIVE_PER_TYPE = 2_500;

/** The same job without our random id: BullMQ numbers it, as a direct user would let it. */
function directJob(job: SyncJob) {
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

type DirectBatch = ReturnType<typeof directJob>[];

/** (a) Best direct use: addBulk in chunks of 1,000, the types of a tick side by side. */
async function directAddBulk(queue: Queue, batches: readonly DirectBatch[]): Promise<void> {
  await Promise.all(
    batches.map(async (batch) => {
      for (let start = 0; start < batch.length; start += ENQUEUE_CHUNK_SIZE) {
        await queue.addBulk(batch.slice(start, start + ENQUEUE_CHUNK_SIZE));
      }
    }),
  );
}

/** (b) Naive: one awaited queue.add per job. */
async function naiveAdds(queue: Queue, jobs: readonly DirectBatch[number][]): Promise<void> {
  for (const job of jobs) await queue.add(job.name, job.data, job.opts);
}

async function enqueueTick(
  jobQueue: BullMqJobQueue,
  batches: readonly SyncJob[][],
  expect: 'added' | 'deduplicated',
  total: number,
): Promise<void> {
  const results = await Promise.all(batches.map((batch) => jobQueue.enqueue(batch)));
  const count = results.reduce((sum, result) => sum + result[expect], 0);
  if (count !== total) throw new Error(`expected ${total} ${expect}, got ${count}`);
}

async function measure(bench: BenchQueue) {
  const batches = tickBatches(agentIds(AGENTS), Date.now());
  const total = batches.reduce((sum, batch) => sum + batch.length, 0);
  const direct = batches.map((batch) => batch.map(directJob));
  const naive = direct.filter((b) => b.length > 1).flatMap((b) => b.slice(0, NAIVE_PER_TYPE));
  const subject = new BullMqJobQueue(bench.queue);
  const unchecked = new UncheckedBullMqJobQueue(bench.queue);

  const variants = {
    direct: {
      fresh: () => directAddBulk(bench.queue, direct),
      duplicate: () => directAddBulk(bench.queue, direct),
    },
    subject: {
      fresh: () => enqueueTick(subject, batches, 'added', total),
      duplicate: () => enqueueTick(subject, batches, 'deduplicated', total),
    },
    unchecked: {
      fresh: () => enqueueTick(unchecked, batches, 'added', total),
      duplicate: () => enqueueTick(unchecked, batches, 'deduplicated', total),
    },
  };
  type Name = keyof typeof variants;
  const names = Object.keys(variants) as Name[];
  const fresh: Record<Name, number[]> = { direct: [], subject: [], unchecked: [] };
  const duplicate: Record<Name, number[]> = { direct: [], subject: [], unchecked: [] };
  const naiveMs: number[] = [];

  for (let round = 0; round < ROUNDS; round++) {
    progress(`fan-out round ${round + 1}/${ROUNDS}`);
    // Every fresh tick (and the naive run) back to back, in a rotating order, so that a burst
    // of load from elsewhere hits them alike. The naive run is never last: the last fresh tick
    // leaves the queue full for the duplicate ticks.
    const full = names.map((_, i) => names[(i + round) % names.length] as Name);
    const order: (Name | 'naive')[] = [...full];
    order.splice(round % names.length, 0, 'naive');
    for (const name of order) {
      await bench.clear();
      if (name === 'naive') naiveMs.push(await time(() => naiveAdds(bench.queue, naive)));
      else fresh[name].push(await time(variants[name].fresh));
    }
    for (const name of round % 2 === 0 ? full : [...full].reverse()) {
      duplicate[name].push(await time(variants[name].duplicate));
    }
  }
  await bench.clear();
  return { total, naiveJobs: naive.length, fresh, duplicate, naiveMs };
}

export const fanOut: Benchmark = {
  name: 'fan-out',
  async run() {
    const bench = await createBenchQueue('fan-out');
    let m: Awaited<ReturnType<typeof measure>>;
    try {
      m = await measure(bench);
    } finally {
      await bench.close();
    }
    const { total, naiveJobs, fresh, duplicate, naiveMs } = m;
    const rate = (jobs: number) => (ms: number) => (jobs / ms) * 1000;
    const subjectRate = fresh.subject.map(rate(total));
    const directRate = fresh.direct.map(rate(total));
    const naiveRate = naiveMs.map(rate(naiveJobs));

    const freshRatio = median(ratios(fresh.subject, fresh.direct));
    const uncheckedRatio = median(ratios(fresh.unchecked, fresh.direct));
    const speedup = median(ratios(subjectRate, naiveRate));
    const directSpeedup = median(ratios(directRate, naiveRate));
    const dupDirect = median(ratios(duplicate.direct, fresh.direct));
    const dupSubject = median(ratios(duplicate.subject, fresh.direct));
    const dupUnchecked = median(ratios(duplicate.unchecked, fresh.direct));

    const checks: Check[] = [
      {
        label: 'fresh tick vs direct addBulk (a)',
        target: '≤ 1.25 x',
        measured: `${fmt(freshRatio)} x`,
        pass: freshRatio <= 1.25,
      },
      {
        label: 'speed vs naive awaited adds (b)',
        target: '≥ 4 x',
        measured: `${fmt(speedup, 1)} x`,
        pass: speedup >= 4,
      },
      {
        label: 'duplicate tick vs a fresh direct tick (stretch)',
        target: '≤ 0.25 x',
        measured: `${fmt(dupSubject)} x`,
        pass: dupSubject <= 0.25,
      },
    ];
    const body = [
      `${fmtInt(total)} jobs per tick (4 agent types x ${fmtInt(AGENTS)} agents + 2 shared), ` +
        `spread with delays as the Scheduler does; the types of a tick are enqueued side by side. ` +
        `${ROUNDS} interleaved rounds, median of per-round ratios. (b) is measured on ` +
        `${fmtInt(naiveJobs)} jobs (${fmtInt(NAIVE_PER_TYPE)} per agent type) and compared in jobs/s.`,
      '',
      table(
        ['figure', 'ratio (median)', 'absolute, median (min–max)'],
        [
          [
            'fresh tick: BullMqJobQueue / direct addBulk (a)',
            `${fmt(freshRatio)} x`,
            `${spread(fresh.subject)} ms vs ${spread(fresh.direct)} ms`,
          ],
          [
            'fresh tick: BullMqJobQueue without pre-check / (a)',
            `${fmt(uncheckedRatio)} x`,
            `${spread(fresh.unchecked)} ms`,
          ],
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
    return { title: 'Fan-out: one tick of 40,002 jobs into Redis', body, checks };
  },
};
