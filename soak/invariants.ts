import { SYNC_TYPES, type SyncType } from '../src/domain/sync-types.js';
import { SERVICE_ACCOUNT, isSharedType } from '../src/domain/sync-types.js';
import type { FaultRecord, SettingChange } from './faults.js';
import type { ServerError } from './http.js';
import {
  termOf,
  type HeapSample,
  type LeasePoll,
  type PendingSample,
  type SettingsSample,
} from './recorders.js';
import type { LogFinding, ProcessExit, ProcessStart } from './replicas.js';
import { pairOf, type ActiveOverlap, type JobRecord } from './worker.js';

/** Everything the soak saw, read from Redis, PostgreSQL, the HTTP API and the replicas' logs. */
export interface Recording {
  readonly replicas: number;
  readonly agents: readonly string[];
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly minuteMs: number;
  readonly initialIntervals: Readonly<Record<SyncType, number>>;
  /** The observed period: every replica up and a leader elected → the last fault healed. */
  readonly t0: number;
  readonly tEnd: number;
  readonly leasePolls: readonly LeasePoll[];
  readonly pending: readonly PendingSample[];
  readonly settings: readonly SettingsSample[];
  readonly heap: readonly HeapSample[];
  readonly jobs: readonly JobRecord[];
  readonly activations: number;
  readonly overlaps: readonly ActiveOverlap[];
  /** (type, agent) pairs with two pending jobs in the final look at the queue. */
  readonly finalDuplicates: readonly string[];
  readonly faults: readonly FaultRecord[];
  readonly changes: readonly SettingChange[];
  readonly starts: readonly ProcessStart[];
  readonly exits: readonly ProcessExit[];
  readonly http: { readonly answered: number; readonly serverErrors: readonly ServerError[] };
  readonly logs: { readonly lines: number; readonly escaped: readonly LogFinding[] };
}

export interface InvariantResult {
  readonly name: string;
  readonly checked: number;
  readonly violations: number;
  /** The first violations, in words. */
  readonly details: readonly string[];
  /** What was not checked and why, and other figures worth a line. */
  readonly notes: readonly string[];
}

export const INVARIANTS = {
  pending: 'never two pending jobs for one (type, agent)',
  lease: 'no job enqueued under a lapsed lease',
  atLeast: 'every (type, agent) enqueued once per interval (+ lease + poll + blocking faults)',
  atMost: 'no (type, agent) enqueued twice within an interval by ticks',
  inForce:
    'every change answered 200 in force on every replica ≤ 2 s after healing, and in PostgreSQL',
  refused: 'no change answered 503 was applied',
  serverErrors: 'no 5xx other than 503',
  escaped: 'no unhandled rejection or uncaught exception in replica logs',
  exits: 'no process exit the soak did not cause (SIGTERM → exit 0)',
  heap: 'heap flat on every replica (floor of last third ≤ 1.25 × first third + 10 MB)',
} as const;

const MAX_DETAILS = 12;
/** The resync safety net and the feed's reconnect bound how long a replica can lag a change. */
const LAG_MS = 30_000;
/** Scheduling noise on a busy 2-core machine: tick durations, timer lateness, HTTP. */
const SLACK_MS = 1_500;
const PROPAGATION_MS = 2_000;
const HEAP_WARMUP_MS = 20_000;

export function checkInvariants(rec: Recording): InvariantResult[] {
  const ctx = new Context(rec);
  return [
    neverTwoPending(rec),
    noLapsedLease(rec),
    ...cadence(rec, ctx),
    changesInForce(rec),
    refusedNotApplied(rec),
    noServerErrors(rec),
    noEscapes(rec),
    expectedExits(rec),
    heapFlat(rec),
  ];
}

const at = (rec: Recording, ms: number): string => `+${((ms - rec.t0) / 1000).toFixed(1)}s`;

function result(
  name: string,
  checked: number,
  violations: string[],
  notes: string[] = [],
): InvariantResult {
  return {
    name,
    checked,
    violations: violations.length,
    details: violations.slice(0, MAX_DETAILS),
    notes,
  };
}

/** What the fault records and the lease history say, looked up by the checks below. */
class Context {
  /** Who held the lease from when (slot undefined: free, or a process the soak did not start). */
  readonly leaders: { from: number; slot: number | undefined }[] = [];

  constructor(private readonly rec: Recording) {
    const slotOfPid = new Map(rec.starts.map((s) => [s.pid, s.slot]));
    let last: string | null | undefined;
    for (const poll of rec.leasePolls) {
      if (poll.value === last) continue;
      last = poll.value;
      const pid = poll.value ? pidOf(poll.value) : undefined;
      this.leaders.push({
        from: poll.sentAt,
        slot: pid === undefined ? undefined : slotOfPid.get(pid),
      });
    }
  }

  /** The replicas that held the lease at some moment in [from, to]. */
  leadersDuring(from: number, to: number): Set<number> {
    const slots = new Set<number>();
    this.leaders.forEach((entry, i) => {
      const until = this.leaders[i + 1]?.from ?? Infinity;
      if (entry.slot !== undefined && entry.from <= to && until >= from) slots.add(entry.slot);
    });
    return slots;
  }

  periodMs(minutes: number): number {
    return minutes * this.rec.minuteMs;
  }

  /**
   * Every interval that may have been in force for `type` at some moment of [from, to]: the
   * value before (a lagging replica may still use it) and every change sent meanwhile,
   * whatever its answer (a change answered 503 is checked by its own invariant).
   */
  intervalsDuring(type: SyncType, from: number, to: number): number[] {
    const changes = this.rec.changes.filter(
      (c) => c.type === type && c.field === 'intervalMinutes',
    );
    // From the last change surely stored (200) well before: every later one, whatever its
    // answer, may be in force too (an unanswered change may or may not have been stored).
    const stored = changes.filter((c) => c.sentAt < from - LAG_MS && c.status === 200).at(-1);
    const values = new Set<number>([
      (stored?.value as number | undefined) ?? this.rec.initialIntervals[type],
    ]);
    for (const change of changes) {
      if (change.sentAt > (stored?.sentAt ?? -Infinity) && change.sentAt <= to) {
        values.add(change.value as number);
      }
    }
    return [...values];
  }

  /** The longest network fault on every replica overlapping [from, to] (0 if none). */
  longestAllReplicaFault(from: number, to: number): number {
    let longest = 0;
    for (const fault of this.rec.faults) {
      if (fault.skipped || fault.targets.length !== this.rec.replicas) continue;
      if (!fault.kind.startsWith('redis-') && !fault.kind.startsWith('pg-')) continue;
      const end = fault.healedAt ?? this.rec.tEnd;
      if (overlap(fault.startedAt, end, from, to) > 0)
        longest = Math.max(longest, end - fault.startedAt);
    }
    return longest;
  }

  /** How long `type` was (or may have been) paused within [from, to]. */
  pausedWithin(type: SyncType, from: number, to: number): number {
    let total = 0;
    for (const pause of this.rec.changes) {
      if (pause.type !== type || pause.field !== 'enabled' || pause.value !== false) continue;
      const resumed = this.rec.changes.find(
        (c) => c.fault === pause.fault && c.value === true && c.status === 200,
      );
      const end = resumed ? resumed.answeredAt + PROPAGATION_MS : this.rec.tEnd;
      total += overlap(pause.sentAt, end, from, to);
    }
    return total;
  }

  /**
   * What the faults overlapping [from, to] may cost scheduling. A fault that reaches no leader
   * costs nothing (the point of a lease). On the leader: a Redis fault fails the ticks it
   * overlaps (a failed tick still counts as a run: the next tick retries one interval later)
   * and can hand leadership over (lease + poll), so its duration + an interval + lease + poll;
   * a PostgreSQL fault delays the ticks by at most its duration (the lease stays, ticks go on
   * with the last agent list once the query gives up); killing, freezing or stopping the
   * leader costs a handover (lease + poll) and an interval: a tick it interrupted was recorded
   * as a run just before its jobs went (so a successor does not send the pairs already sent a
   * second time), and the pairs it had not sent yet wait for the next one, like a Redis fault's.
   */
  faultCost(from: number, to: number, intervalMs: number): { ms: number; why: string[] } {
    const lp = this.rec.leaseMs + this.rec.pollMs;
    let ms = 0;
    const why: string[] = [];
    for (const fault of this.rec.faults) {
      if (fault.skipped || fault.targets.length === 0) continue;
      const end = fault.healedAt ?? this.rec.tEnd;
      if (overlap(fault.startedAt - lp, end + lp, from, to) <= 0) continue;
      const leaders = this.leadersDuring(fault.startedAt - 200, end + 200);
      if (!fault.targets.some((t) => leaders.has(t))) continue;
      const duration = end - fault.startedAt;
      let cost = 0;
      if (fault.kind.startsWith('redis-')) cost = duration + intervalMs + lp;
      else if (fault.kind.startsWith('pg-')) cost = duration;
      else if (['leader-kill', 'leader-stop', 'replica-term'].includes(fault.kind)) {
        cost = intervalMs + lp;
      }
      if (cost > 0) {
        ms += cost;
        why.push(`#${fault.planned.index} ${fault.kind} ${(duration / 1000).toFixed(1)}s`);
      }
    }
    return { ms, why };
  }
}

const overlap = (a1: number, a2: number, b1: number, b2: number): number =>
  Math.max(0, Math.min(a2, b2) - Math.max(a1, b1));

/** The pid in a replica id `<hostname>-<pid>-<random>:<term>`. */
export function pidOf(leaseValue: string): number | undefined {
  const id = leaseValue.slice(0, leaseValue.lastIndexOf(':'));
  const match = /-(\d+)-[0-9a-f]+$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

function neverTwoPending(rec: Recording): InvariantResult {
  const violations: string[] = [];
  const seen = new Set<string>();
  let checked = rec.activations;
  for (const sample of rec.pending) {
    checked += sample.pairs;
    for (const dup of sample.duplicates) {
      const key = dup.ids.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      violations.push(
        `${at(rec, sample.at)} ${dup.pair} pending ${dup.ids.length} times: ${dup.ids.join(', ')}`,
      );
    }
  }
  for (const o of rec.overlaps) {
    violations.push(`${at(rec, o.at)} ${o.pair} active twice at once: ${o.jobs.join(', ')}`);
  }
  for (const pair of rec.finalDuplicates) violations.push(`end of run: ${pair} pending twice`);
  return result(INVARIANTS.pending, checked, violations, [
    `${rec.pending.length} queue snapshots, ${rec.activations} job activations`,
  ]);
}

/**
 * A job of term T must have been built while T held the lease key. Built after the held-key
 * read saw T (so after T was granted): later than the last poll that saw the counter below T
 * was sent. Added while the key held T, and built before it was added: earlier than the reply
 * to the first poll that saw T handed out and the key holding something else (terms are never
 * reused, so T never comes back).
 */
function noLapsedLease(rec: Recording): InvariantResult {
  const polls = rec.leasePolls;
  const windows = new Map<number, { lo: number; hi: number; holder: string | null }>();
  const windowOf = (term: number) => {
    let known = windows.get(term);
    if (known) return known;
    let lo = -Infinity;
    let hi = Infinity;
    let holder: string | null = null;
    for (const poll of polls) {
      if (poll.counter < term) lo = poll.sentAt;
      else if (termOf(poll.value) === term) holder = poll.value;
      else if (poll.counter >= term) {
        hi = poll.repliedAt;
        break;
      }
    }
    known = { lo, hi, holder };
    windows.set(term, known);
    return known;
  };
  const violations: string[] = [];
  let checked = 0;
  let manual = 0;
  for (const job of rec.jobs) {
    if (job.term === null) {
      manual++;
      continue;
    }
    checked++;
    const { lo, hi, holder } = windowOf(job.term);
    const slackMs = 5;
    if (job.createdAt < lo - slackMs || job.createdAt > hi + slackMs) {
      violations.push(
        `${job.id} built ${at(rec, job.createdAt)} under term ${job.term} (${holder ?? 'never seen holding the key'}), ` +
          `which held the lease only within ${at(rec, lo)} … ${at(rec, hi)}`,
      );
    }
  }
  return result(INVARIANTS.lease, checked, violations, [
    `${windows.size} terms; ${manual} manual-trigger jobs carry no term`,
  ]);
}

/** At least once per interval (from when the pair was free again) and at most once by ticks. */
function cadence(rec: Recording, ctx: Context): InvariantResult[] {
  const byPair = new Map<string, JobRecord[]>();
  for (const job of rec.jobs) {
    const key = pairOf(job.type, job.userId);
    const list = byPair.get(key);
    if (list) list.push(job);
    else byPair.set(key, [job]);
  }
  const lp = rec.leaseMs + rec.pollMs;
  const late: string[] = [];
  const early: string[] = [];
  let gaps = 0;
  let spacings = 0;
  let worstRatio = 0;
  let overStrict = 0;
  let worstStrict = '';
  let worstStrictExcess = 0;
  const checkGap = (pair: string, type: SyncType, from: number, to: number, open: boolean) => {
    gaps++;
    const intervals = ctx.intervalsDuring(type, from, to);
    const intervalMs = ctx.periodMs(Math.max(...intervals));
    const faults = ctx.faultCost(from, to, intervalMs);
    const paused = ctx.pausedWithin(type, from, to);
    const allowed = intervalMs + lp + SLACK_MS + faults.ms + paused;
    worstRatio = Math.max(worstRatio, (to - from) / allowed);
    // The brief's own bound, for comparison: interval + lease + poll + the longest fault that
    // hit every replica. It does not know that a failed tick waits a whole interval.
    const strict = intervalMs + lp + SLACK_MS + ctx.longestAllReplicaFault(from, to);
    if (to - from > strict) {
      overStrict++;
      if (to - from - strict > worstStrictExcess) {
        worstStrictExcess = to - from - strict;
        worstStrict = `${pair} ${((to - from) / 1000).toFixed(1)} s from ${at(rec, from)}, bound ${(strict / 1000).toFixed(1)} s${faults.why.length > 0 ? ` (${faults.why.join('; ')})` : ''}`;
      }
    }
    if (to - from <= allowed) return;
    late.push(
      `${pair}: ${((to - from) / 1000).toFixed(1)} s ${open ? 'and counting at the end' : 'without an enqueue'} ` +
        `(free ${at(rec, from)} → ${open ? 'end' : at(rec, to)}), allowed ${(allowed / 1000).toFixed(1)} s ` +
        `(interval ${Math.max(...intervals)} min = ${(intervalMs / 1000).toFixed(1)} s` +
        `${paused > 0 ? `, paused ${(paused / 1000).toFixed(1)} s` : ''}` +
        `${faults.why.length > 0 ? `, faults ${faults.why.join('; ')}` : ''})`,
    );
  };
  const expected = [
    ...SYNC_TYPES.filter((t) => !isSharedType(t)).flatMap((t) =>
      rec.agents.map((a) => pairOf(t, a)),
    ),
    ...SYNC_TYPES.filter(isSharedType).map((t) => pairOf(t, SERVICE_ACCOUNT)),
  ];
  for (const pair of expected) {
    const [type] = pair.split('|') as [SyncType];
    const jobs = (byPair.get(pair) ?? []).slice().sort((a, b) => a.createdAt - b.createdAt);
    let free = rec.t0;
    for (const job of jobs) {
      if (job.createdAt > free && job.createdAt <= rec.tEnd)
        checkGap(pair, type, free, job.createdAt, false);
      // Never two pending (checked on its own): the pair is busy until the job's final outcome.
      free = Math.max(free, job.finishedAt ?? Infinity);
    }
    if (free < rec.tEnd) checkGap(pair, type, free, rec.tEnd, true);

    const ticks = jobs.filter((j) => j.term !== null).sort((a, b) => a.tickAt - b.tickAt);
    for (let i = 1; i < ticks.length; i++) {
      const before = ticks[i - 1] as JobRecord;
      const after = ticks[i] as JobRecord;
      spacings++;
      const shortest = ctx.periodMs(
        Math.min(...ctx.intervalsDuring(type, before.tickAt, after.tickAt)),
      );
      const toleranceMs = Math.max(100, shortest * 0.02);
      if (after.tickAt - before.tickAt >= shortest - toleranceMs) continue;
      early.push(
        `${pair}: ticks ${at(rec, before.tickAt)} and ${at(rec, after.tickAt)}, ${((after.tickAt - before.tickAt) / 1000).toFixed(2)} s apart ` +
          `(shortest interval in force ${(shortest / 1000).toFixed(1)} s): ${before.id}, ${after.id}`,
      );
    }
  }
  return [
    result(INVARIANTS.atLeast, gaps, late, [
      `${expected.length} pairs; worst gap ${(worstRatio * 100).toFixed(0)} % of its allowance`,
      `${overStrict} gaps over interval + lease + poll + longest all-replica fault (informational)${worstStrict ? `; worst ${worstStrict}` : ''}`,
    ]),
    result(INVARIANTS.atMost, spacings, early),
  ];
}

/** A replica cannot see a change while its PostgreSQL is faulty or while it is down or frozen. */
function hidingFaults(rec: Recording, slot: number): { from: number; to: number }[] {
  return rec.faults
    .filter(
      (f) =>
        !f.skipped &&
        f.targets.includes(slot) &&
        (f.kind.startsWith('pg-') ||
          ['leader-kill', 'leader-stop', 'replica-term'].includes(f.kind)),
    )
    .map((f) => ({ from: f.startedAt, to: f.healedAt ?? rec.tEnd }))
    .sort((a, b) => a.from - b.from);
}

function changesInForce(rec: Recording): InvariantResult {
  const violations: string[] = [];
  let checked = 0;
  let superseded = 0;
  let unobserved = 0;
  const accepted = rec.changes.filter((c) => c.status === 200);
  const shows = (sample: SettingsSample, change: SettingChange) =>
    change.field === 'intervalMinutes'
      ? sample.intervals[change.type] === change.value
      : sample.enabled[change.type] === change.value;
  const shown = (sample: SettingsSample, change: SettingChange) =>
    String(
      change.field === 'intervalMinutes'
        ? sample.intervals[change.type]
        : sample.enabled[change.type],
    );
  const describe = (c: SettingChange) =>
    `${c.field === 'intervalMinutes' ? `interval ${c.type}=${String(c.value)}` : `${c.type} ${c.value ? 'resumed' : 'paused'}`} ` +
    `(fault #${c.fault}, 200 via r${c.replica + 1} at ${at(rec, c.answeredAt)})`;
  for (const change of accepted) {
    const later = rec.changes.filter(
      (c) =>
        c.type === change.type &&
        c.field === change.field &&
        c.sentAt > change.sentAt &&
        c.status !== 503,
    );
    const sources: ('pg' | number)[] = ['pg', ...Array.from({ length: rec.replicas }, (_, i) => i)];
    for (const source of sources) {
      let deadline = change.answeredAt + PROPAGATION_MS;
      if (source !== 'pg') {
        for (const window of hidingFaults(rec, source)) {
          if (window.from <= deadline && window.to + PROPAGATION_MS > deadline) {
            deadline = window.to + PROPAGATION_MS;
          }
        }
      } else {
        deadline = change.answeredAt;
      }
      if (later.some((c) => c.sentAt < deadline)) {
        superseded++;
        continue;
      }
      const sample = rec.settings.find((s) => s.source === source && s.sentAt >= deadline);
      if (!sample || deadline > rec.tEnd) {
        unobserved++;
        continue;
      }
      if (later.some((c) => c.sentAt < sample.sentAt)) {
        superseded++;
        continue;
      }
      checked++;
      if (shows(sample, change)) continue;
      const firstShown = rec.settings.find(
        (s) => s.source === source && s.sentAt >= change.sentAt && shows(s, change),
      );
      violations.push(
        `${describe(change)} not in force on ${source === 'pg' ? 'PostgreSQL' : `r${source + 1}`} at ${at(rec, sample.sentAt)} ` +
          `(deadline ${at(rec, deadline)}): it showed ${shown(sample, change)}; ` +
          `${firstShown ? `first showed it at ${at(rec, firstShown.sentAt)}` : 'never showed it'}`,
      );
    }
  }
  return result(INVARIANTS.inForce, checked, violations, [
    `${accepted.length} changes answered 200; ${superseded} (change, place) checks superseded by a later change, ${unobserved} not observable`,
  ]);
}

/**
 * An interval answered 503 must never show up, in PostgreSQL or on a replica (interval values
 * are not reused within a run while unused ones remain, so a value is one change). A pause or
 * resume answered 503 must not show up in PostgreSQL when no accepted change explains it.
 */
function refusedNotApplied(rec: Recording): InvariantResult {
  const violations: string[] = [];
  let checked = 0;
  let ambiguous = 0;
  for (const refused of rec.changes.filter((c) => c.status === 503)) {
    const sameField = rec.changes.filter(
      (c) => c.type === refused.type && c.field === refused.field,
    );
    if (refused.field === 'intervalMinutes') {
      const reused =
        refused.value === rec.initialIntervals[refused.type] ||
        sameField.some((c) => c !== refused && c.value === refused.value && c.status !== 503);
      if (reused) {
        ambiguous++;
        continue;
      }
      checked++;
      const sample = rec.settings.find(
        (s) => s.at > refused.sentAt && s.intervals[refused.type] === refused.value,
      );
      if (sample) {
        violations.push(
          `interval ${refused.type}=${String(refused.value)} answered 503 by r${refused.replica + 1} at ${at(rec, refused.answeredAt)} ` +
            `(sent ${at(rec, refused.sentAt)}, ${refused.answeredAt - refused.sentAt} ms: ${refused.detail}) ` +
            `is in force on ${sample.source === 'pg' ? 'PostgreSQL' : `r${sample.source + 1}`} at ${at(rec, sample.sentAt)}`,
        );
      }
      continue;
    }
    checked++;
    const explained = (sample: SettingsSample): boolean => {
      const done = sameField
        .filter((c) => c.status === 200 && c.answeredAt <= sample.sentAt)
        .sort((a, b) => a.answeredAt - b.answeredAt)
        .at(-1);
      const possible = new Set<number | boolean>([done ? done.value : true]);
      for (const c of sameField) {
        if (c.status === 503 || c.sentAt > sample.at) continue;
        if (c.status === null || c.answeredAt > sample.sentAt) possible.add(c.value);
      }
      return possible.has(sample.enabled[refused.type]);
    };
    // A flag has two values, so a sample is laid at this change's door only until the next
    // change of the same flag is sent (after that, the next one explains or is blamed).
    const next = sameField.find((c) => c.sentAt > refused.sentAt);
    const sample = rec.settings.find(
      (s) =>
        s.source === 'pg' &&
        s.at > refused.sentAt &&
        (next === undefined || s.sentAt < next.sentAt) &&
        s.enabled[refused.type] === refused.value &&
        !explained(s),
    );
    if (sample) {
      violations.push(
        `${refused.type} ${refused.value ? 'resume' : 'pause'} answered 503 by r${refused.replica + 1} at ${at(rec, refused.answeredAt)} ` +
          `(${refused.detail}) is in PostgreSQL at ${at(rec, sample.sentAt)}`,
      );
    }
  }
  return result(INVARIANTS.refused, checked, violations, [
    `${checked + ambiguous} changes answered 503${ambiguous ? `, ${ambiguous} not checkable (value reused)` : ''}`,
  ]);
}

function noServerErrors(rec: Recording): InvariantResult {
  return result(
    INVARIANTS.serverErrors,
    rec.http.answered,
    rec.http.serverErrors.map(
      (e) => `${at(rec, e.at)} ${e.replica} ${e.request} → ${e.status}: ${e.body}`,
    ),
  );
}

function noEscapes(rec: Recording): InvariantResult {
  return result(
    INVARIANTS.escaped,
    rec.logs.lines,
    rec.logs.escaped.map(
      (f) => `${at(rec, f.at)} r${f.slot + 1} pid ${f.pid}: ${f.line.slice(0, 400)}`,
    ),
  );
}

function expectedExits(rec: Recording): InvariantResult {
  const violations: string[] = [];
  for (const exit of rec.exits) {
    const who = `r${exit.slot + 1} pid ${exit.pid} at ${at(rec, exit.at)}`;
    if (exit.causedBy === null) {
      violations.push(`${who} exited by itself (code ${exit.code}, signal ${exit.signal})`);
    } else if (exit.causedBy === 'SIGTERM' && exit.code !== 0) {
      violations.push(
        `${who} after SIGTERM: code ${exit.code}, signal ${exit.signal} (expected exit 0)`,
      );
    }
  }
  return result(INVARIANTS.exits, rec.exits.length, violations);
}

/** Nearest-rank percentile. */
const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

/**
 * Per replica: samples outside each process's warm-up, first third of the run vs last third.
 * Heap used is a sawtooth between collections (a leader's swings by tens of MB), so its
 * median mostly says where the collector happened to be; a leak raises the floor the
 * collections get back to. The floor is the 10th percentile of each third.
 */
function heapFlat(rec: Recording): InvariantResult {
  const startOf = new Map(rec.starts.map((s) => [s.pid, s.at]));
  const third = (rec.tEnd - rec.t0) / 3;
  const violations: string[] = [];
  const notes: string[] = [];
  let checked = 0;
  for (let slot = 0; slot < rec.replicas; slot++) {
    const warm = rec.heap.filter(
      (h) => h.slot === slot && h.at - (startOf.get(h.pid) ?? 0) >= HEAP_WARMUP_MS,
    );
    const first = warm.filter((h) => h.at <= rec.t0 + third).map((h) => h.bytes);
    const last = warm.filter((h) => h.at >= rec.tEnd - third).map((h) => h.bytes);
    if (first.length === 0 || last.length === 0) {
      notes.push(
        `r${slot + 1}: not enough samples (${first.length} first third, ${last.length} last third)`,
      );
      continue;
    }
    checked++;
    const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);
    const [a, b] = [percentile(first, 10), percentile(last, 10)];
    notes.push(
      `r${slot + 1}: floor ${mb(a)} MB → ${mb(b)} MB, median ${mb(percentile(first, 50))} → ${mb(percentile(last, 50))} MB (${first.length} / ${last.length} samples)`,
    );
    if (b > 1.25 * a + 10 * 1_048_576) {
      violations.push(`r${slot + 1}: heap floor ${mb(a)} MB → ${mb(b)} MB`);
    }
  }
  return result(INVARIANTS.heap, checked, violations, notes);
}
