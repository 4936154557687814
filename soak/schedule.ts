import { isSharedType, SYNC_TYPES, type SyncType } from '../src/domain/sync-types.js';
import { streamOf } from './random.js';

export const NETWORK_FAULTS = [
  'redis-cut',
  'redis-partition',
  'redis-slow',
  'pg-cut',
  'pg-partition',
  'pg-slow',
] as const;
export type NetworkFaultKind = (typeof NETWORK_FAULTS)[number];

export const FAULT_KINDS = [
  ...NETWORK_FAULTS,
  'leader-kill',
  'leader-stop',
  'replica-term',
  'interval-change',
  'pause-resume',
  'trigger',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How often each kind comes up (relative). */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  'redis-cut': 1,
  'redis-partition': 1,
  'redis-slow': 1,
  'pg-cut': 1,
  'pg-partition': 1,
  'pg-slow': 1,
  'leader-kill': 1,
  'leader-stop': 1,
  'replica-term': 1,
  'interval-change': 1.5,
  'pause-resume': 0.7,
  trigger: 0.5,
};

/** The values an interval change picks from: every type keeps 50+ cycles in the run. */
export const INTERVAL_CHOICES = [5, 6, 7, 8, 9, 10, 11, 12] as const;

/** What the soak sets before boot: orders, the shortest, at 5 minutes. */
export const INITIAL_INTERVALS: Readonly<Record<SyncType, number>> = {
  orders: 5,
  customers: 8,
  ddt: 10,
  invoices: 10,
  products: 6,
  prices: 12,
};

export interface PlannedFault {
  readonly index: number;
  /** From the start of the observed period. */
  readonly atMs: number;
  readonly kind: FaultKind;
  /**
   * Network faults: a replica index or 'all'. Process faults: 'leader' or a replica index
   * (replica-term). Admin actions: the replica whose API is used (the next one up if it is down).
   */
  readonly target: number | 'all' | 'leader';
  /** How long the fault lasts: held, stopped, down before the restart, paused. */
  readonly durationMs: number;
  /** redis-slow / pg-slow: added to every chunk, each way. */
  readonly latencyMs?: number;
  readonly type?: SyncType;
  readonly intervalMinutes?: number;
  /**
   * leader-stop: freeze the leader just before a tick falls due (its timer fires on waking) or
   * just after one started (the tick is in flight while the lease passes).
   */
  readonly phase?: 'before-tick' | 'mid-tick';
  /**
   * interval-change, pause-resume: send it through a replica that cannot reach PostgreSQL (the
   * 503 path): one whose PostgreSQL is cut or partitioned right then, else `target` with its
   * own `ownFault` from just before the call until a second after the answer.
   */
  readonly throughFault?: boolean;
  /** With `throughFault` and no such replica: cut or partition the target's PostgreSQL for the call. */
  readonly ownFault?: 'cut' | 'partition';
  /** trigger: one agent (its index among the seeded agents) or every agent (null). */
  readonly agentIndex?: number | null;
  /** Starts together with the fault before it ("two at once"). */
  readonly withPrevious: boolean;
}

export interface ScheduleOptions {
  readonly seed: number;
  /** The observed period; faults start after `warmupMs` and end `cooldownMs` before its end. */
  readonly periodMs: number;
  readonly replicas: number;
  readonly agents: number;
  readonly leaseMs: number;
  readonly warmupMs?: number;
  readonly cooldownMs?: number;
}

/**
 * The fault schedule is a pure function of its options: same seed, same faults at the same
 * moments with the same parameters. Which replica "the leader" is gets resolved when the
 * fault fires (it depends on what happened before), and an admin action aimed at a replica
 * that is down goes to the next one up; both are printed as the fault happens.
 */
export function planFaults(options: ScheduleOptions): PlannedFault[] {
  const random = streamOf(options.seed, 1);
  const warmupMs = options.warmupMs ?? 5_000;
  const cooldownMs = options.cooldownMs ?? 15_000;
  const lastStart = options.periodMs - cooldownMs;
  const unused = new Map<SyncType, number[]>(
    SYNC_TYPES.map((type) => [type, INTERVAL_CHOICES.filter((v) => v !== INITIAL_INTERVALS[type])]),
  );
  const faults: PlannedFault[] = [];
  let at = warmupMs + random.between(0, 4_000);
  while (at < lastStart) {
    const together = faults.length > 0 && random.chance(0.2);
    const startAt = together ? (faults.at(-1) as PlannedFault).atMs : at;
    const kind = random.weighted(WEIGHTS);
    const base = { index: faults.length, atMs: Math.round(startAt), kind, withPrevious: together };
    const replica = () => random.int(0, options.replicas - 1);
    const ms = (min: number, max: number) => Math.round(random.between(min, max));
    const throughFault = () =>
      random.chance(0.5)
        ? { throughFault: true, ownFault: random.pick(['cut', 'partition'] as const) }
        : {};
    let fault: PlannedFault;
    switch (kind) {
      case 'redis-cut':
      case 'redis-partition':
      case 'pg-cut':
      case 'pg-partition':
        fault = {
          ...base,
          target: targetOf(random.chance(0.35), replica),
          durationMs: ms(1_000, 8_000),
        };
        break;
      case 'redis-slow':
      case 'pg-slow':
        fault = {
          ...base,
          target: targetOf(random.chance(0.35), replica),
          durationMs: ms(2_000, 10_000),
          // Both ways, so a round trip costs twice this; under the leader's 500 ms command timeout.
          latencyMs: random.int(20, 200),
        };
        break;
      case 'leader-kill':
        fault = { ...base, target: 'leader', durationMs: ms(500, 3_000) };
        break;
      case 'leader-stop':
        fault = {
          ...base,
          target: 'leader',
          durationMs: options.leaseMs + ms(300, 1_500),
          phase: random.chance(0.5) ? 'before-tick' : 'mid-tick',
        };
        break;
      case 'replica-term':
        fault = { ...base, target: replica(), durationMs: ms(300, 2_000) };
        break;
      case 'interval-change': {
        const type = random.pick(SYNC_TYPES);
        const left = unused.get(type) as number[];
        // Values never repeat for a type while there are unused ones, so a change answered 503
        // that shows up later cannot be mistaken for one that was accepted.
        const intervalMinutes =
          left.length > 0
            ? (left.splice(random.int(0, left.length - 1), 1)[0] as number)
            : random.pick(INTERVAL_CHOICES);
        fault = {
          ...base,
          target: replica(),
          durationMs: 0,
          type,
          intervalMinutes,
          ...throughFault(),
        };
        break;
      }
      case 'pause-resume':
        fault = {
          ...base,
          target: replica(),
          durationMs: ms(2_000, 8_000),
          type: random.pick(SYNC_TYPES),
          ...throughFault(),
        };
        break;
      case 'trigger': {
        const type = random.pick(SYNC_TYPES);
        const one = random.chance(0.5);
        const agentIndex = random.int(0, options.agents - 1);
        // A shared type has no agent to name (the API answers 400 to a userId for it).
        fault = {
          ...base,
          target: replica(),
          durationMs: 0,
          type,
          agentIndex: one && !isSharedType(type) ? agentIndex : null,
        };
        break;
      }
    }
    faults.push(fault);
    if (!together) at += random.between(4_000, 14_000);
  }
  return faults;
}

const targetOf = (all: boolean, replica: () => number): number | 'all' => (all ? 'all' : replica());

/** One line per planned fault, e.g. for `--plan`. */
export function describePlanned(fault: PlannedFault): string {
  const parts = [`#${fault.index}`, `+${(fault.atMs / 1000).toFixed(1)}s`, fault.kind];
  parts.push(`target=${typeof fault.target === 'number' ? `r${fault.target + 1}` : fault.target}`);
  if (fault.durationMs > 0) parts.push(`for ${(fault.durationMs / 1000).toFixed(1)}s`);
  if (fault.latencyMs !== undefined) parts.push(`+${fault.latencyMs}ms each way`);
  if (fault.phase) parts.push(fault.phase);
  if (fault.throughFault)
    parts.push(`through a replica without PostgreSQL (else pg-${fault.ownFault})`);
  if (fault.type) parts.push(fault.type);
  if (fault.intervalMinutes !== undefined) parts.push(`→ ${fault.intervalMinutes} min`);
  if (fault.agentIndex !== undefined)
    parts.push(fault.agentIndex === null ? 'every agent' : `agent #${fault.agentIndex}`);
  if (fault.withPrevious) parts.push('(with the previous)');
  return parts.join(' ');
}
