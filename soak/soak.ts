import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { leaseKey } from '../src/adapters/queue/module.js';
import { loadConfig } from '../src/config.js';
import { AGENT_SYNC_TYPES, SYNC_TYPES, type SyncType } from '../src/domain/sync-types.js';
import {
  aSoakPrefix,
  createSoakDatabase,
  deletePrefix,
  ensureBuilt,
  REDIS_URL,
} from './environment.js';
import {
  runFault,
  type FaultContext,
  type FaultRecord,
  type SettingChange,
  type TriggerRecord,
} from './faults.js';
import { SoakHttp } from './http.js';
import { checkInvariants, pidOf, type InvariantResult, type Recording } from './invariants.js';
import {
  pollDatabase,
  pollLease,
  pollReplica,
  readPending,
  samplePending,
  type HeapSample,
  type LeasePoll,
  type PendingSample,
  type Recorder,
  type SettingsSample,
} from './recorders.js';
import { LogTally, ReplicaSlot, type ProcessExit, type ProcessStart } from './replicas.js';
import { describePlanned, INITIAL_INTERVALS, planFaults } from './schedule.js';
import { CountingWorker, pairOf } from './worker.js';

export interface SoakOptions {
  readonly minutes: number;
  readonly seed: number;
  readonly agents: number;
  /** Milliseconds per scheduler minute; default: orders (5 min) gets 60+ cycles in the run. */
  readonly minuteMs: number;
  readonly replicas: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  /** Share of worker attempts that fail. */
  readonly failRatio: number;
  /** Start the replicas with the broken-fencing preload (soak/break-fencing.ts). */
  readonly breakFencing: boolean;
  readonly print: (line: string) => void;
}

export interface SoakOutcome {
  readonly results: readonly InvariantResult[];
  readonly passed: boolean;
  readonly summary: readonly string[];
  readonly reportFile: string;
}

const ROOT = new URL('..', import.meta.url);
const QUEUE_NAME = 'operations';

/** orders at 5 scheduler minutes: at least 60 cycles over the run, never below 200 ms a minute. */
export const defaultMinuteMs = (minutes: number): number =>
  Math.max(200, Math.min(1_000, Math.floor((minutes * 60_000) / (5 * 60))));

export async function runSoak(options: SoakOptions): Promise<SoakOutcome> {
  const { print } = options;
  const periodMs = Math.round(options.minutes * 60_000);
  const plan = planFaults({
    seed: options.seed,
    periodMs,
    replicas: options.replicas,
    agents: options.agents,
    leaseMs: options.leaseMs,
  });
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${options.seed}`;
  const outDir = new URL(`test-output/soak/${runId}/`, ROOT);
  await mkdir(outDir, { recursive: true });
  print(
    `[soak] seed ${options.seed}, ${options.minutes} min, ${options.replicas} replicas, ${options.agents} agents, ` +
      `SCHEDULER_MINUTE_MS=${options.minuteMs}, lease ${options.leaseMs} ms, poll ${options.pollMs} ms, ` +
      `${plan.length} faults planned${options.breakFencing ? ', BROKEN FENCING (soak fault injection)' : ''}`,
  );
  print(`[soak] logs and report: ${outDir.pathname}`);
  await ensureBuilt(print);

  const agents = Array.from(
    { length: options.agents },
    (_, i) => `a-${String(i + 1).padStart(5, '0')}`,
  );
  const db = await createSoakDatabase(agents, INITIAL_INTERVALS);
  const prefix = aSoakPrefix();
  const jwtSecret = randomBytes(32).toString('base64url');
  const env: Record<string, string> = {
    QUEUE_PREFIX: prefix,
    QUEUE_NAME,
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'info',
    LEADER_POLL_MS: String(options.pollMs),
    LEADER_LEASE_MS: String(options.leaseMs),
    SCHEDULER_MINUTE_MS: String(options.minuteMs),
  };
  const config = loadConfig({ ...env, DATABASE_URL: db.url, REDIS_URL });
  const key = leaseKey(config);
  // RedisLeaderElection keeps the term counter beside the lease key.
  const termKey = `${key}:term`;

  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const queue = new Queue(QUEUE_NAME, { connection: { url: REDIS_URL }, prefix });
  const http = new SoakHttp(jwtSecret);
  const tally = new LogTally();
  const starts: ProcessStart[] = [];
  const exits: ProcessExit[] = [];
  const leasePolls: LeasePoll[] = [];
  const pending: PendingSample[] = [];
  const settings: SettingsSample[] = [];
  const heap: HeapSample[] = [];
  const faults: FaultRecord[] = [];
  const changes: SettingChange[] = [];
  const triggers: TriggerRecord[] = [];
  const recorders: Recorder[] = [];
  const slots: ReplicaSlot[] = [];
  let worker: CountingWorker | undefined;
  let ending = false;
  let cleaning: Promise<void> | undefined;
  // Runs once, from the end of the run or from Ctrl-C: nothing of the soak may outlive it.
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      ending = true;
      await Promise.all(slots.map((s) => s.shutdown().catch(() => {})));
      for (const recorder of recorders) await recorder.stop().catch(() => {});
      await worker?.close().catch(() => {});
      await queue.close().catch(() => {});
      redis.disconnect();
      await Promise.all(slots.map((s) => s.close().catch(() => {})));
      await deletePrefix(prefix).catch((error: unknown) =>
        print(`[soak] could not delete ${prefix}:*: ${String(error)}`),
      );
      await db
        .drop()
        .catch((error: unknown) => print(`[soak] could not drop ${db.name}: ${String(error)}`));
    })());
  const interrupted = (): void => {
    print('[soak] interrupted: stopping the replicas and cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    recorders.push(pollLease(redis, key, termKey, leasePolls));
    worker = new CountingWorker({
      redisUrl: REDIS_URL,
      prefix,
      queueName: QUEUE_NAME,
      seed: options.seed,
      failRatio: options.failRatio,
      concurrency: 20,
    });
    const nodeFlags = options.breakFencing
      ? ['--import', 'tsx', '--import', './soak/break-fencing.ts']
      : [];
    for (let index = 0; index < options.replicas; index++) {
      slots.push(
        await ReplicaSlot.create({
          index,
          databaseUrl: db.url,
          redisUrl: REDIS_URL,
          env,
          nodeFlags,
          logFile: new URL(`r${index + 1}.log`, outDir).pathname,
          tally,
          onStart: (start) => starts.push(start),
          onExit: (exit) => {
            exits.push(exit);
            if (exit.causedBy === null && !ending) {
              print(
                `[soak] r${exit.slot + 1} pid ${exit.pid} EXITED BY ITSELF (code ${exit.code}, signal ${exit.signal}): restarting it`,
              );
              void restart(slots[exit.slot] as ReplicaSlot);
            }
          },
        }),
      );
    }
    const restart = async (slot: ReplicaSlot): Promise<number | undefined> => {
      if (ending) return undefined;
      slot.start();
      const started = slot.process as ProcessStart;
      for (let waited = 0; waited < 30_000 && !started.readyAt; waited += 100) await sleep(100);
      return started.readyAt;
    };
    for (const slot of slots) {
      slot.start();
      recorders.push(pollReplica(slot, http, settings, heap));
    }
    recorders.push(pollDatabase(db.pool, settings));

    // Every replica answering and a leader elected: the observed period starts.
    const bootDeadline = Date.now() + 90_000;
    while (!(slots.every((s) => s.process?.readyAt) && leasePolls.at(-1)?.value)) {
      if (Date.now() > bootDeadline) throw new Error('the replicas did not all boot within 90 s');
      await sleep(100);
    }
    recorders.push(samplePending(redis, queue, pending));
    const t0 = Date.now();
    print(`[soak] +0.0s every replica answers, ${leasePolls.at(-1)?.value} leads; faults begin`);

    const slotOfPid = (pid: number | undefined) =>
      slots.find((s) => s.pid === pid && pid !== undefined)?.index;
    const ctx: FaultContext = {
      slots,
      http,
      agents,
      t0,
      leaderSlot: () => {
        const value = leasePolls.at(-1)?.value;
        return value ? slotOfPid(pidOf(value)) : undefined;
      },
      nextTickAt: () => {
        const intervals =
          settings.filter((s) => s.source === 'pg').at(-1)?.intervals ?? INITIAL_INTERVALS;
        let soonest: number | undefined;
        for (const type of AGENT_SYNC_TYPES) {
          const last = worker?.lastTickAt.get(type);
          if (last === undefined) continue;
          let due = last + intervals[type] * options.minuteMs;
          while (due < Date.now()) due += intervals[type] * options.minuteMs;
          soonest = soonest === undefined ? due : Math.min(soonest, due);
        }
        return soonest;
      },
      restart,
      faults,
      changes,
      triggers,
      print,
    };
    const running: Promise<void>[] = [];
    for (const planned of plan) {
      const waitMs = t0 + planned.atMs - Date.now();
      if (waitMs > 0) await sleep(waitMs);
      running.push(runFault(planned, ctx));
    }
    await sleep(Math.max(0, t0 + periodMs - Date.now()));
    await Promise.all(running);
    // Let the last heal's effects be observed (propagation, a handover) before the period ends.
    await sleep(3_000);
    const tEnd = Date.now();
    print(
      `[soak] +${((tEnd - t0) / 1000).toFixed(1)}s observed period over; stopping the replicas`,
    );

    // Jobs still pending at the end: the worker has not seen them, the fencing check must.
    const last = await readPending(redis, queue);
    for (const id of last.ids) {
      const fields = await redis.hmget(`${queue.keys['']}${id}`, 'timestamp', 'data');
      const data = fields[1] ? (JSON.parse(fields[1]) as { timestamp?: number }) : {};
      worker.record(id, Number(fields[0]), Number(data.timestamp));
    }
    ending = true;
    await Promise.all(slots.map((s) => s.shutdown()));
    for (const recorder of recorders.splice(0)) await recorder.stop();
    await worker.close();

    const recording: Recording = {
      replicas: options.replicas,
      agents,
      leaseMs: options.leaseMs,
      pollMs: options.pollMs,
      minuteMs: options.minuteMs,
      initialIntervals: INITIAL_INTERVALS,
      t0,
      tEnd,
      leasePolls,
      pending,
      settings,
      heap,
      jobs: [...worker.jobs.values()],
      activations: worker.activations,
      overlaps: worker.overlaps,
      finalDuplicates: last.duplicates.map((d) => d.pair),
      faults,
      changes,
      starts,
      exits,
      http: { answered: http.answered, serverErrors: http.serverErrors },
      logs: { lines: tally.lines, escaped: tally.escaped },
    };
    const results = checkInvariants(recording);
    const summary = summarize(
      recording,
      tally,
      triggers,
      options,
      plan.length,
      worker.unknownIds.length,
    );
    if (options.breakFencing) {
      summary.push(
        `fault injection lines (soak_fault_injection) in replica logs: ${tally.injections.length}` +
          (tally.injections.length === 0 ? ' — THE BROKEN BUILD DID NOT LOAD' : ''),
      );
    }
    const reportFile = new URL('report.json', outDir).pathname;
    await writeFile(
      reportFile,
      `${JSON.stringify(
        {
          options: { ...options, print: undefined },
          plan: plan.map(describePlanned),
          faults: faults.map((f) => ({ ...f, planned: describePlanned(f.planned) })),
          changes,
          triggers,
          exits,
          heap: heap.map((h) => [
            `r${h.slot + 1}`,
            h.pid,
            Math.round((h.at - t0) / 100) / 10,
            Math.round(h.bytes / 1e5) / 10,
          ]),
          leaders: leasePolls
            .filter((p, i) => p.value !== leasePolls[i - 1]?.value)
            .map((p) => [Math.round((p.sentAt - t0) / 100) / 10, p.value]),
          summary,
          results,
        },
        null,
        2,
      )}\n`,
    );
    const passed =
      results.every((r) => r.violations === 0) &&
      (!options.breakFencing || tally.injections.length > 0);
    return { results, passed, summary, reportFile };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanup();
  }
}

function summarize(
  rec: Recording,
  tally: LogTally,
  triggers: readonly TriggerRecord[],
  options: SoakOptions,
  planned: number,
  unknownIds: number,
): string[] {
  const lines: string[] = [];
  const byKind = new Map<string, number>();
  for (const f of rec.faults) {
    const k = f.skipped ? `${f.kind} (skipped)` : f.kind;
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
  }
  lines.push(
    `faults: ${rec.faults.length} of ${planned} planned — ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );
  const ticks = new Map<SyncType, Set<number>>();
  for (const job of rec.jobs) {
    if (job.term === null) continue;
    let set = ticks.get(job.type);
    if (!set) ticks.set(job.type, (set = new Set()));
    set.add(job.tickAt);
  }
  lines.push(
    `ticks that enqueued, per type: ${SYNC_TYPES.map((t) => `${t} ${ticks.get(t)?.size ?? 0}`).join(', ')}`,
  );
  const outcomes = { completed: 0, failed: 0, pending: 0 };
  for (const job of rec.jobs) outcomes[job.outcome ?? 'pending']++;
  lines.push(
    `jobs: ${rec.jobs.length} (${outcomes.completed} completed, ${outcomes.failed} failed after 3 attempts, ` +
      `${outcomes.pending} pending at the end); ${rec.activations} attempts; ${unknownIds} foreign job ids; ` +
      `${new Set(rec.jobs.map((j) => pairOf(j.type, j.userId))).size} pairs`,
  );
  const terms = new Set(rec.leasePolls.map((p) => p.value).filter(Boolean));
  lines.push(
    `leases: ${terms.size} terms held over the run; ${rec.starts.length} processes started, ${rec.exits.length} exited`,
  );
  const changes = rec.changes;
  const status = (s: number | null) => changes.filter((c) => c.status === s).length;
  lines.push(
    `admin: ${changes.length} setting changes (${status(200)} × 200, ${status(503)} × 503, ${status(null)} unanswered), ` +
      `${triggers.length} triggers; HTTP answers ${rec.http.answered}`,
  );
  const events = ['tick', 'tick_failed', 'tick_fenced', 'tick_skipped', 'leadership'];
  lines.push(
    `replica log events: ${events.map((e) => `${e} ${tally.events.get(e) ?? 0}`).join(', ')}`,
  );
  if (tally.errors.size > 0) {
    lines.push(
      `error-level log lines (informational): ${[...tally.errors].map(([m, n]) => `${n} × "${m}"`).join('; ')}`,
    );
  }
  lines.push(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')} at the end; failRatio ${options.failRatio}`,
  );
  return lines;
}
