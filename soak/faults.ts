import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncType } from '../src/domain/sync-types.js';
import type { SoakHttp } from './http.js';
import type { Effect } from './proxy-control.js';
import type { ReplicaSlot } from './replicas.js';
import { describePlanned, type FaultKind, type PlannedFault } from './schedule.js';

/** A fault as it happened. */
export interface FaultRecord {
  readonly planned: PlannedFault;
  readonly kind: FaultKind;
  /** The replicas it hit (network, process) or whose API it used (admin). */
  targets: number[];
  startedAt: number;
  /** Network: restored; stop: SIGCONT; kill, term: the new process answered; admin: answered. */
  healedAt?: number;
  note: string;
  skipped?: string;
}

/** One settings command sent to a replica's admin API. */
export interface SettingChange {
  readonly fault: number;
  readonly type: SyncType;
  readonly field: 'intervalMinutes' | 'enabled';
  readonly value: number | boolean;
  readonly replica: number;
  readonly sentAt: number;
  readonly answeredAt: number;
  /** null: no answer (the change may or may not have been stored). */
  readonly status: number | null;
  readonly detail: string;
}

export interface TriggerRecord {
  readonly fault: number;
  readonly type: SyncType;
  readonly userId: string | null;
  readonly replica: number;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number | null;
}

export interface FaultContext {
  readonly slots: readonly ReplicaSlot[];
  readonly http: SoakHttp;
  readonly agents: readonly string[];
  readonly t0: number;
  /** The replica holding the lease right now, as the lease poller last saw it. */
  leaderSlot(): number | undefined;
  /** When the next tick of any type is due, as far as the worker can tell. */
  nextTickAt(): number | undefined;
  /** Starts the slot's process again and resolves once it answers (its readyAt). */
  restart(slot: ReplicaSlot): Promise<number | undefined>;
  readonly faults: FaultRecord[];
  readonly changes: SettingChange[];
  readonly triggers: TriggerRecord[];
  print(line: string): void;
}

/** Replicas in a process fault right now (killed, frozen, shutting down, restarting). */
const busy = new Set<number>();

const effectOf = (fault: PlannedFault): Effect =>
  fault.kind.endsWith('-cut')
    ? { kind: 'cut' }
    : fault.kind.endsWith('-partition')
      ? { kind: 'partition' }
      : { kind: 'slow', ms: fault.latencyMs ?? 100 };

/** Runs one planned fault to its end (healed, restarted, answered). Never rejects. */
export async function runFault(planned: PlannedFault, ctx: FaultContext): Promise<void> {
  const record: FaultRecord = {
    planned,
    kind: planned.kind,
    targets: [],
    startedAt: Date.now(),
    note: '',
  };
  ctx.faults.push(record);
  const stamp = () => `+${((Date.now() - ctx.t0) / 1000).toFixed(1)}s`;
  const say = (what: string) => ctx.print(`[soak] ${stamp()} #${planned.index} ${what}`);
  try {
    switch (planned.kind) {
      case 'redis-cut':
      case 'redis-partition':
      case 'redis-slow':
      case 'pg-cut':
      case 'pg-partition':
      case 'pg-slow':
        await network(planned, record, ctx, say);
        break;
      case 'leader-kill':
      case 'leader-stop':
      case 'replica-term':
        await processFault(planned, record, ctx, say);
        break;
      case 'interval-change':
      case 'pause-resume':
      case 'trigger':
        await admin(planned, record, ctx, say);
        break;
    }
  } catch (error) {
    record.note += ` error: ${error instanceof Error ? error.message : String(error)}`;
    say(`${planned.kind} failed to run: ${record.note}`);
  }
}

type Say = (what: string) => void;

async function network(planned: PlannedFault, record: FaultRecord, ctx: FaultContext, say: Say) {
  const targets =
    planned.target === 'all' ? ctx.slots.map((s) => s.index) : [planned.target as number];
  record.targets = targets;
  const redis = planned.kind.startsWith('redis');
  const controls = targets.map((i) => (redis ? ctx.slots[i]!.redis : ctx.slots[i]!.pg));
  const leader = ctx.leaderSlot();
  const heals = await Promise.all(controls.map((control) => control.add(effectOf(planned))));
  record.startedAt = Date.now();
  record.note = `leader ${leader === undefined ? 'none' : `r${leader + 1}`}`;
  say(`${describeNow(planned)} on ${names(targets, ctx)} (${record.note})`);
  await sleep(planned.durationMs);
  await Promise.all(heals.map((heal) => heal()));
  record.healedAt = Date.now();
  say(`${planned.kind} on ${names(targets, ctx)} healed`);
}

async function processFault(
  planned: PlannedFault,
  record: FaultRecord,
  ctx: FaultContext,
  say: Say,
) {
  const { slots } = ctx;
  const free = (i: number) => !busy.has(i) && slots[i]!.up;
  // Always leave one replica that is not in a process fault of its own.
  if (busy.size >= slots.length - 1)
    return skip(record, say, 'every other replica is already down');
  let index: number | undefined;
  if (planned.target === 'leader') {
    if (planned.kind === 'leader-stop')
      await waitForTick(ctx, planned.phase === 'mid-tick' ? 10 : -150);
    index = ctx.leaderSlot();
    if (index === undefined) return skip(record, say, 'no replica leads right now');
    if (!free(index)) return skip(record, say, `the leader r${index + 1} is already in a fault`);
  } else {
    const start = planned.target as number;
    index = slots.map((_, k) => (start + k) % slots.length).find(free);
    if (index === undefined) return skip(record, say, 'no replica free');
  }
  const slot = slots[index]!;
  busy.add(index);
  record.targets = [index];
  try {
    record.startedAt = Date.now();
    if (planned.kind === 'leader-stop') {
      slot.signal('SIGSTOP');
      say(
        `SIGSTOP ${slot.name} (the leader, pid ${slot.pid}, ${planned.phase}) for ${(planned.durationMs / 1000).toFixed(1)}s`,
      );
      await sleep(planned.durationMs);
      slot.signal('SIGCONT');
      record.healedAt = Date.now();
      say(`SIGCONT ${slot.name}`);
      return;
    }
    const signal = planned.kind === 'leader-kill' ? 'SIGKILL' : 'SIGTERM';
    say(
      `${signal} ${slot.name}${planned.kind === 'leader-kill' ? ' (the leader)' : ''} pid ${slot.pid}; restart ${(planned.durationMs / 1000).toFixed(1)}s after it exits`,
    );
    slot.signal(signal);
    if (!(await slot.exited(6_000))) {
      record.note = `did not exit within 6 s of ${signal}: killed`;
      say(`${slot.name} ${record.note}`);
      slot.signal('SIGKILL');
      await slot.exited(6_000);
    }
    await sleep(planned.durationMs);
    const readyAt = await ctx.restart(slot);
    record.healedAt = readyAt ?? Date.now();
    say(`${slot.name} restarted (pid ${slot.pid})${readyAt ? '' : ', not answering yet'}`);
  } finally {
    busy.delete(index);
  }
}

/**
 * The freezes fencing must catch: just before a type falls due (its timer fires on waking,
 * maybe before the lease's deadline callback) or just after a tick started (it is in flight
 * while the lease passes, and sends on waking).
 */
async function waitForTick(ctx: FaultContext, offsetMs: number): Promise<void> {
  const due = ctx.nextTickAt();
  if (due === undefined) return;
  const waitMs = due - Date.now() + offsetMs;
  if (waitMs > 0 && waitMs < 4_000) await sleep(waitMs);
}

async function admin(planned: PlannedFault, record: FaultRecord, ctx: FaultContext, say: Say) {
  const type = planned.type as SyncType;
  const pick = (offset: number) => {
    const start = ((planned.target as number) + offset) % ctx.slots.length;
    for (let k = 0; k < ctx.slots.length; k++) {
      const slot = ctx.slots[(start + k) % ctx.slots.length]!;
      if (slot.up && !busy.has(slot.index) && slot.port !== undefined) return slot;
    }
    return undefined;
  };
  const change = async (
    slot: ReplicaSlot,
    field: SettingChange['field'],
    value: number | boolean,
    path: string,
    body?: unknown,
  ): Promise<number | null> => {
    const answer = await ctx.http.request(slot.name, slot.port as number, 'POST', path, {
      ...(body === undefined ? {} : { body }),
      timeoutMs: 20_000,
    });
    const detail =
      answer.status === null ? (answer.error ?? 'no answer') : answer.text.slice(0, 200);
    ctx.changes.push({
      fault: planned.index,
      type,
      field,
      value,
      replica: slot.index,
      sentAt: answer.sentAt,
      answeredAt: answer.answeredAt,
      status: answer.status,
      detail,
    });
    say(
      `${path} ${body ? JSON.stringify(body) : ''} via ${slot.name} → ${answer.status ?? `no answer (${detail})`} in ${answer.answeredAt - answer.sentAt} ms`,
    );
    return answer.status;
  };
  // The 503 path: a replica that cannot reach PostgreSQL right now, if the plan asks for one.
  const faulty = planned.throughFault
    ? ctx.slots.find(
        (s) =>
          s.up &&
          !busy.has(s.index) &&
          s.port !== undefined &&
          ['cut', 'partition'].includes(s.pg.severity() ?? ''),
      )
    : undefined;
  const slot = faulty ?? pick(0);
  if (!slot) return skip(record, say, 'no replica answers');
  record.targets = [slot.index];
  record.startedAt = Date.now();
  const healOwn =
    planned.throughFault && !faulty ? await ownFault(planned, slot, ctx, say) : undefined;
  try {
    if (planned.kind === 'interval-change') {
      await change(
        slot,
        'intervalMinutes',
        planned.intervalMinutes as number,
        `/api/sync/intervals/${type}`,
        {
          intervalMinutes: planned.intervalMinutes,
        },
      );
      await healOwn?.();
    } else if (planned.kind === 'pause-resume') {
      await change(slot, 'enabled', false, `/api/sync/pause/${type}`);
      await healOwn?.();
      await sleep(planned.durationMs);
      // Resumed for sure: a type left paused would starve every later check of it.
      for (let attempt = 1; attempt <= 30; attempt++) {
        const other = pick(attempt);
        if (other && (await change(other, 'enabled', true, `/api/sync/resume/${type}`)) === 200)
          break;
        await sleep(1_000);
      }
    } else {
      const userId =
        planned.agentIndex === null || planned.agentIndex === undefined
          ? null
          : (ctx.agents[planned.agentIndex] ?? null);
      const answer = await ctx.http.request(
        slot.name,
        slot.port as number,
        'POST',
        `/api/sync/trigger/${type}`,
        {
          ...(userId === null ? {} : { body: { userId } }),
          timeoutMs: 20_000,
        },
      );
      ctx.triggers.push({
        fault: planned.index,
        type,
        userId,
        replica: slot.index,
        sentAt: answer.sentAt,
        answeredAt: answer.answeredAt,
        status: answer.status,
      });
      say(
        `trigger ${type} ${userId ?? 'every agent'} via ${slot.name} → ${answer.status ?? 'no answer'}`,
      );
    }
  } finally {
    // Healed whatever happened: a partition left behind would poison the rest of the run.
    await healOwn?.();
  }
  record.healedAt = Date.now();
}

/**
 * The 503 path on demand: the replica's PostgreSQL cut or partitioned from just before the
 * call; the returned function heals it a second after the answer. Recorded as a fault of its
 * own, so the invariants count it like any other.
 */
async function ownFault(
  planned: PlannedFault,
  slot: ReplicaSlot,
  ctx: FaultContext,
  say: Say,
): Promise<() => Promise<void>> {
  const kind = planned.ownFault ?? 'partition';
  const heal = await slot.pg.add({ kind });
  const own: FaultRecord = {
    planned,
    kind: `pg-${kind}`,
    targets: [slot.index],
    startedAt: Date.now(),
    note: 'for the admin call',
  };
  ctx.faults.push(own);
  say(`pg-${kind} on ${slot.name} for the admin call`);
  let healing: Promise<void> | undefined;
  return () =>
    (healing ??= (async () => {
      await sleep(1_000);
      await heal();
      own.healedAt = Date.now();
      say(`pg-${kind} on ${slot.name} healed`);
    })());
}

function skip(record: FaultRecord, say: Say, why: string): void {
  record.skipped = why;
  say(`${record.kind} skipped: ${why}`);
}

const names = (targets: readonly number[], ctx: FaultContext): string =>
  targets.length === ctx.slots.length ? 'all replicas' : targets.map((i) => `r${i + 1}`).join(',');

/** The planned fault's own words, without its index and time (printed by `say`). */
const describeNow = (planned: PlannedFault): string =>
  describePlanned(planned)
    .split(' ')
    .slice(2)
    .filter((w) => !w.startsWith('target='))
    .join(' ');
