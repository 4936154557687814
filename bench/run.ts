import 'reflect-metadata';
import { availableParallelism, loadavg } from 'node:os';
import { agentLookups } from './agent-lookups.js';
import { fanOut } from './fan-out.js';
import { http } from './http.js';
import { levelLoad } from './level-load.js';
import { memory } from './memory.js';
import { outcomeWriter } from './outcome-writer.js';
import { scale } from './scale.js';
import { type Benchmark, type Check, print, table, verdict } from './support.js';
import { tickLateness } from './tick-lateness.js';

/**
 * `npm run bench [-- name ...]`: runs every benchmark (or the named ones) one after another and
 * prints a markdown report on stdout; progress goes to stderr. Memory runs first, on a quiet heap.
 * `scale` (400,002 jobs, several minutes, several hundred MB of Redis) runs only when named.
 */
const BENCHMARKS: readonly Benchmark[] = [
  memory,
  agentLookups,
  fanOut,
  tickLateness,
  http,
  outcomeWriter,
  levelLoad,
  scale,
];

/** The machine is shared: say how busy it was. */
const load = (): string =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')} (1 / 5 / 15 min)`;

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`,
    );
    return 2;
  }
  const selected =
    args.length > 0
      ? BENCHMARKS.filter((b) => args.includes(b.name))
      : BENCHMARKS.filter((b) => !b.onlyWhenNamed);
  const started = Date.now();
  print(`# npm run bench ${args.join(' ')}`.trimEnd());
  print();
  print(
    `node ${process.version}, ${availableParallelism()} cores, ${new Date().toISOString()}, ` +
      `${load()}; every figure is a ratio against a baseline measured in the same run.`,
  );
  const summary: { bench: string; check: Check }[] = [];
  let failed = false;
  for (const bench of selected) {
    process.stderr.write(`running ${bench.name}\n`);
    try {
      const report = await bench.run();
      print();
      print(`## ${report.title} (\`${bench.name}\`)`);
      print();
      print(report.body);
      for (const check of report.checks) summary.push({ bench: bench.name, check });
    } catch (error) {
      failed = true;
      print();
      print(`## ${bench.name}: FAILED`);
      print();
      print(`    ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  print();
  print('## Summary');
  print();
  print(
    table(
      ['benchmark', 'target', 'wanted', 'measured', 'result'],
      summary.map(({ bench, check }) => [
        bench,
        check.label,
        check.target,
        check.measured,
        verdict(check.pass),
      ]),
    ),
  );
  print();
  print(`Total time: ${((Date.now() - started) / 1000).toFixed(0)} s; at the end, ${load()}.`);
  // A MISS is a finding, not a crash (the machine is shared and noisy); a benchmark that
  // could not run at all is.
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
