import { performance } from 'node:perf_hooks';
import { TimerClock } from '../src/adapters/clock/timer-clock.js';
import { BullMqJobQueue } from '../src/adapters/queue/bullmq-job-queue.js';
import { AGENT_SYNC_TYPES } from '../src/domain/sync-types.js';
import {
  agentIds,
  createBenchQueue,
  fmt,
  fmtInt,
  percentile,
  progress,
  table,
  tickBatches,
  type Benchmark,
  type Check,
} from './support.js';

const AGENTS = 10_000;
const PERIOD_MS = 100;
const ROUNDS = 5;

/**
 * Runs a `PERIOD_MS` timer on the real clock while `work` runs and returns how late each
 * firing was: the gap since the previous firing minus the period (Node reschedules an interval
 * from when it actually fired, so lateness does not accumulate).
 */
async function lateness(work: () => Promise<void>): Promise<number[]> {
  const clock = new TimerClock();
  const late: number[] = [];
  let previous = performance.now();
  const cancel = clock.every(PERIOD_MS, () => {
    const now = performance.now();
    late.push(Math.max(0, now - previous - PERIOD_MS));
    previous = now;
  });
  try {
    await work();
  } finally {
    cancel();
  }
  return late;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const tickLateness: Benchmark = {
  name: 'tick-lateness',
  async run() {
    const bench = await createBenchQueue('tick-lateness');
    const jobQueue = new BullMqJobQueue(bench.queue);
    const ids = agentIds(AGENTS);
    const busy: number[] = [];
    const idle: number[] = [];
    const fanOutMs: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        progress(`tick-lateness round ${round + 1}/${ROUNDS}`);
        await bench.clear();
        // A tick as the Scheduler runs it: build and spread the jobs, then one enqueue per type.
        const fanOut = async () => {
          const started = performance.now();
          const batches = tickBatches(ids, Date.now(), AGENT_SYNC_TYPES);
          await Promise.all(batches.map((batch) => jobQueue.enqueue(batch)));
          fanOutMs.push(performance.now() - started);
        };
        // As long as the latest fan-out (idle first on odd rounds: the previous round's).
        const quiet = () => sleep(fanOutMs[fanOutMs.length - 1] ?? 2_000);
        if (round % 2 === 0) {
          busy.push(...(await lateness(fanOut)));
          idle.push(...(await lateness(quiet)));
        } else {
          idle.push(...(await lateness(quiet)));
          busy.push(...(await lateness(fanOut)));
        }
      }
    } finally {
      await bench.close();
    }
    const p = (values: number[], q: number) => percentile(values, q);
    // No target was set for lateness: figures only.
    const checks: Check[] = [];
    const body = [
      `A ${PERIOD_MS} ms \`every\` timer on TimerClock; lateness = gap since the previous firing ` +
        `minus ${PERIOD_MS} ms. Subject: while one tick of the 4 agent types for ` +
        `${fmtInt(AGENTS)} agents (40,000 jobs, built, spread and enqueued side by side through ` +
        `BullMqJobQueue into Redis, empty queue) runs; baseline: the same timer on an idle ` +
        `process for as long. ${ROUNDS} interleaved rounds, all firings pooled. No target was ` +
        `set; figures only.`,
      '',
      table(
        ['figure', 'during fan-out', 'idle baseline', 'ratio'],
        [
          ['firings', fmtInt(busy.length), fmtInt(idle.length), ''],
          ...([50, 99] as const).map((q) => [
            `p${q} lateness (ms)`,
            fmt(p(busy, q), 1),
            fmt(p(idle, q), 1),
            `${fmt(p(busy, q) / p(idle, q), 1)} x`,
          ]),
          ['max lateness (ms)', fmt(Math.max(...busy), 1), fmt(Math.max(...idle), 1), ''],
          [
            'fan-out duration (ms), median (min–max)',
            `${fmt(p(fanOutMs, 50), 0)} (${fmt(Math.min(...fanOutMs), 0)}–${fmt(Math.max(...fanOutMs), 0)})`,
            '',
            '',
          ],
        ],
      ),
    ].join('\n');
    return { title: 'Tick lateness during a 10,000-agent fan-out', body, checks };
  },
};
