import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { formatDetails, formatTable } from './report.js';
import { defaultMinuteMs, runSoak } from './soak.js';

/**
 * `npm run soak [-- --minutes 10 --seed 42 --agents 500 --minute-ms N --break-fencing]`:
 * three replicas of the built service behind TCP proxies, a real BullMQ worker, a seeded
 * schedule of faults, and a table of invariants at the end. Exit 0 only when every one holds.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    agents: { type: 'string', default: '500' },
    'minute-ms': { type: 'string' },
    'lease-ms': { type: 'string', default: '2000' },
    'poll-ms': { type: 'string', default: '500' },
    'fail-ratio': { type: 'string', default: '0.03' },
    'break-fencing': { type: 'boolean', default: false },
  },
  strict: true,
});

const number = (name: string, raw: string | undefined, min: number, max: number): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    process.stderr.write(`--${name} must be a number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return value;
};

const minutes = number('minutes', values.minutes, 0.5, 24 * 60);
const seed =
  values.seed === undefined
    ? Math.floor(Math.random() * 1_000_000)
    : number('seed', values.seed, 0, 2 ** 32 - 1);
const print = (line: string): void => void process.stdout.write(`${line}\n`);

const outcome = await runSoak({
  minutes,
  seed,
  agents: number('agents', values.agents, 1, 100_000),
  minuteMs:
    values['minute-ms'] === undefined
      ? defaultMinuteMs(minutes)
      : number('minute-ms', values['minute-ms'], 10, 60_000),
  replicas: 3,
  leaseMs: number('lease-ms', values['lease-ms'], 300, 120_000),
  pollMs: number('poll-ms', values['poll-ms'], 100, 10_000),
  failRatio: number('fail-ratio', values['fail-ratio'], 0, 1),
  breakFencing: values['break-fencing'] || process.env.SYNC_SCHEDULER_SOAK_BREAK_FENCING === '1',
  print,
});

print('');
for (const line of outcome.summary) print(`[soak] ${line}`);
print('');
for (const line of formatTable(outcome.results)) print(line);
for (const line of formatDetails(outcome.results)) print(line);
print('');
print(
  `[soak] ${outcome.passed ? 'PASS' : 'FAIL'} — seed ${seed} (npm run soak -- --minutes ${minutes} --seed ${seed}); report ${outcome.reportFile}`,
);
process.exit(outcome.passed ? 0 : 1);
