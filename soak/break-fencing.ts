/**
 * SOAK-ONLY FAULT INJECTION: a deliberately broken build, to show that the soak's invariants
 * catch a fencing bug. Never loaded by the service itself: `npm run soak -- --break-fencing`
 * starts the replicas with `node --import tsx --import ./soak/break-fencing.ts dist/main.js`,
 * and this preload patches the built modules before main.js runs (ESM modules are evaluated
 * once, so main.js gets the patched classes). Nothing in src/ knows about it.
 *
 * The fence has three layers (README, "Fencing"), so all three must go for a stale leader to
 * get a job in:
 * 1. the lease handed to the scheduler is always valid (its local deadline is ignored);
 * 2. the held-key read no longer refuses a token the lease key does not hold: it reads the
 *    keys as an unfenced enqueue does (its MGET compares the lease key in JS first);
 * 3. the fenced add scripts no longer compare the lease key with the token.
 * 3 (and 2's script, should one run fenced) are Lua lines that answer FENCED; they are stripped
 * from the scripts as ioredis defines them. Each patch logs one `soak_fault_injection` line,
 * which the soak looks for.
 */
import { Redis } from 'ioredis';
import type * as ElectionModule from '../src/adapters/queue/redis-leader-election.js';
import type * as QueueModule from '../src/adapters/queue/bullmq-job-queue.js';
import type * as FencedAddModule from '../src/adapters/queue/fenced-add.js';
import type { Lease } from '../src/domain/ports/leader-election.js';

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { RedisLeaderElection } = (await import(
  dist('adapters/queue/redis-leader-election.js')
)) as typeof ElectionModule;
const { FENCED } = (await import(dist('adapters/queue/fenced-add.js'))) as typeof FencedAddModule;
const { BullMqJobQueue } = (await import(
  dist('adapters/queue/bullmq-job-queue.js')
)) as typeof QueueModule;

const say = (what: string, extra: Record<string, unknown> = {}): void => {
  process.stdout.write(
    `${JSON.stringify({ level: 40, time: Date.now(), event: 'soak_fault_injection', ...extra, msg: `SOAK FAULT INJECTION: ${what}` })}\n`,
  );
};

// 1. The lease as the scheduler sees it: its term and token, valid forever.
const currentLease = RedisLeaderElection.prototype.currentLease;
RedisLeaderElection.prototype.currentLease = function (this: ElectionModule.RedisLeaderElection) {
  const lease = currentLease.call(this);
  if (!lease) return lease;
  const broken: Lease = { token: lease.token, term: lease.term, isValid: () => true };
  return broken;
};
say('the lease handed to the scheduler ignores its deadline');

// 2. The held-key read without its fence: no MGET of the lease key, no refusal.
type HeldKeys = (this: QueueModule.BullMqJobQueue, chunk: unknown) => Promise<unknown>;
const prototype = BullMqJobQueue.prototype as unknown as { heldKeys: HeldKeys };
const heldKeys = prototype.heldKeys;
prototype.heldKeys = function (this: QueueModule.BullMqJobQueue, chunk: unknown) {
  return heldKeys.call(this, chunk);
};
say('the held-key read ignores the lease key');

// 3 (and 2's script). Every Lua line that answers FENCED goes.
const fenceLine = new RegExp(`^.*return '${FENCED}'.*$\\n?`, 'gm');
const defineCommand = Redis.prototype.defineCommand;
Redis.prototype.defineCommand = function (
  this: Redis,
  name: string,
  definition: { lua: string; numberOfKeys?: number; readOnly?: boolean },
) {
  const lua = definition.lua.replace(fenceLine, '');
  if (lua !== definition.lua) say(`fence removed from script ${name}`, { script: name });
  return defineCommand.call(this, name, { ...definition, lua });
};
