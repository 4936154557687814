import { createRequire } from 'node:module';
import { Job, type Queue } from 'bullmq';
import type { BulkSyncJob } from './bullmq-job.js';

interface BullMqScript {
  readonly name: string;
  readonly content: string;
  readonly keys: number;
}

// The build BullMQ itself loads (its `main`); these files ship without type declarations.
const require = createRequire(import.meta.url);
const script = (file: string, name: string): BullMqScript =>
  (require(`bullmq/dist/cjs/scripts/${file}.js`) as Record<string, BullMqScript>)[name]!;
const addStandardJob = script('addStandardJob-9', 'addStandardJob');
const addPrioritizedJob = script('addPrioritizedJob-9', 'addPrioritizedJob');
const addDelayedJob = script('addDelayedJob-6', 'addDelayedJob');

/** What a fenced add script answers when the lease key no longer holds the token. */
export const FENCED = 'sync-scheduler:fenced';

/**
 * Why a script of our own, and not "check the lease, then addBulk": Redis runs a script
 * atomically, but a pipeline or MULTI cannot make its later commands depend on an earlier
 * script's answer (MULTI runs them all; WATCH is per connection, and the producer connection is
 * shared, so another caller's EXEC would silently drop our watch). A check followed by addBulk
 * therefore leaves one round trip (the check's reply, the chunk's send, up to 1,000 add scripts)
 * in which a successor may already lead while our jobs land. Scripts cannot call other scripts,
 * so each of BullMQ's add scripts is registered again with one line in front: the lease key
 * (an extra last KEY) must hold the token (an extra last ARGV), else it returns FENCED and
 * touches nothing. Every job is then added only if, at the very instant Redis adds it, the lease
 * was ours: no window at all. The arguments are built by BullMQ itself
 * (`addJobToTransaction`), and the scripts are the installed BullMQ's own text, so the two
 * always match; bullmq is pinned exactly, and the contract tests run these scripts. The lease
 * key is declared like the queue's keys, so on a Redis Cluster it must hash to the queue's slot:
 * it is named under the queue (keys.ts) and the config insists on a hash tag there. The cost,
 * 40,000 fresh jobs against the local Redis, three interleaved runs: 2.41-2.68 s unfenced,
 * 2.62-2.97 s fenced; all 40,000 already held: 172-192 ms vs 186-273 ms (one read per chunk).
 */
const SCRIPTS = [addStandardJob, addPrioritizedJob, addDelayedJob];
const FENCE_LINE = `if redis.call('GET', KEYS[#KEYS]) ~= ARGV[#ARGV] then return '${FENCED}' end\n`;
const fencedName = (name: string): string => `syncSchedulerFenced_${name}`;

interface RunCommandTarget {
  runCommand(name: string, args: unknown[]): unknown;
}

const defined = new WeakSet<object>();

/**
 * Adds the jobs in one pipeline, each by BullMQ's add script behind the fence. Per job: the id
 * BullMQ returned (ours when added, the holder's when deduplicated), or FENCED.
 */
export async function addBulkFenced(
  queue: Queue,
  jobs: readonly BulkSyncJob[],
  leaseKey: string,
  token: string,
): Promise<string[]> {
  const backend = queue.getBackend();
  const client = await backend.client;
  if (!defined.has(client)) {
    for (const { name, keys, content } of SCRIPTS) {
      client.defineCommand(fencedName(name), { numberOfKeys: keys + 1, lua: FENCE_LINE + content });
    }
    defined.add(client);
  }
  const pipeline = client.pipeline();
  // BullMQ builds each add's arguments and hands them to `runCommand` of whatever it is given:
  // we send them to the fenced twin, with the lease key after its keys and the token last.
  let unexpected: Error | undefined;
  const fenced: RunCommandTarget = {
    runCommand: (name, args) => {
      const chosen = SCRIPTS.find((candidate) => name.startsWith(`${candidate.name}:`));
      if (!chosen) {
        unexpected ??= new Error(`fenced add: BullMQ chose an unexpected script (${name})`);
        throw unexpected;
      }
      // BullMQ builds a fresh argument list per job and keeps no reference: extend it in place.
      args.splice(chosen.keys, 0, leaseKey);
      args.push(token);
      return pipeline.runCommand(fencedName(chosen.name), args);
    },
  };
  for (const bulk of jobs) {
    const opts = { ...queue.defaultJobOptions, ...bulk.opts };
    const job = new Job(queue, bulk.name, bulk.data, opts, bulk.opts.jobId);
    // The per-command promise is also settled by exec(), whose replies are read below.
    backend.addJobToTransaction(fenced as never, job.asJSON(), bulk.opts.jobId, {}).catch(() => {});
  }
  // Nothing was sent yet: a pipeline goes out only on exec().
  if (unexpected) throw unexpected;
  const replies = (await pipeline.exec()) as [Error | null, unknown][] | null;
  if (!replies || replies.length !== jobs.length) {
    throw new Error('fenced add: unexpected reply from Redis');
  }
  return replies.map(([error, id]) => {
    if (error) throw error;
    if (typeof id !== 'string') throw new Error(`fenced add: BullMQ refused a job (${String(id)})`);
    return id;
  });
}
