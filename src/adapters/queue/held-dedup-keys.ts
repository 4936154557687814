import type { Queue } from 'bullmq';
import { FENCED } from './fenced-add.js';
import type { RedisClient } from './redis-client.js';

const COMMAND = 'syncSchedulerHeldDedupKeys';

/**
 * For each deduplication key, 1 when BullMQ's add scripts would deduplicate a job with it right
 * now, else 0 — the same test as `deduplicateJobWithoutReplace` in simple mode: the key exists
 * and is not stale (`recoverStaleDeduplicationKey`: no TTL and the job it names is gone).
 * One atomic read, so a 1 means the key was held at that instant.
 *
 * Every key it touches is declared (a Redis Cluster routes and checks a script by its KEYS):
 * KEYS are the lease key (with a fence), the n deduplication keys, then the job key of each
 * holder an MGET just before saw, in order. ARGV[1] is the fence's token ('' without one),
 * ARGV[2] is n, ARGV[2 + i] the holder seen for key i ('' for none). A key whose holder changed
 * since that MGET answers 0: "send it", and BullMQ's add decides, as for any key not held; so a
 * race costs nothing but the read. With a fence it answers FENCED, touching nothing, unless the
 * lease key holds the token. (BullMQ's own add scripts do build job keys from the prefix; a
 * hash-tagged prefix keeps those in the queue's slot too.)
 */
const LUA = `
local first = 1
if ARGV[1] ~= '' then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return '${FENCED}' end
  first = 2
end
local n = tonumber(ARGV[2])
local nextJobKey = first + n
local held = {}
for i = 1, n do
  local key = KEYS[first + i - 1]
  local seen = ARGV[2 + i]
  local jobKey = nil
  if seen ~= '' then
    jobKey = KEYS[nextJobKey]
    nextJobKey = nextJobKey + 1
  end
  local jobId = redis.call('GET', key)
  local isHeld = 0
  if jobId then
    if redis.call('PTTL', key) ~= -1 then
      isHeld = 1
    elseif jobId == seen and redis.call('EXISTS', jobKey) == 1 then
      isHeld = 1
    end
  end
  held[i] = isHeld
end
return held
`;

/** Clients that already know the script (the queue's client is one proxy for its lifetime). */
const defined = new WeakSet<object>();

export interface ReadFence {
  readonly leaseKey: string;
  readonly token: string;
}

/**
 * Which of `dedupIds` are held by a pending job (waiting, delayed, prioritized or active); with
 * a fence, FENCED instead when the lease key does not hold its token. One MGET of the lease key
 * and the deduplication keys first; the script runs only when that MGET shows a key held, so a
 * fresh tick's chunk costs one MGET and no script.
 */
export async function heldDedupKeys(
  queue: Queue,
  dedupIds: readonly string[],
  fence?: ReadFence,
): Promise<boolean[] | typeof FENCED> {
  if (dedupIds.length === 0 && !fence) return [];
  const client = await queue.getBackend().client;
  if (!defined.has(client)) {
    // Not readOnly: a replica could still show a key the primary has released.
    // No numberOfKeys: ioredis then takes the key count as the first argument (it varies).
    client.defineCommand(COMMAND, { lua: LUA } as { lua: string; numberOfKeys: number });
    defined.add(client);
  }
  const dedupKeys = dedupIds.map((id) => `${queue.keys.de}:${id}`);
  // BullMQ's client is our ioredis connection behind a proxy that passes ioredis' own commands
  // through; its interface just does not list MGET.
  const reader = client as unknown as Pick<RedisClient, 'mget'>;
  // The lease key rides along (same slot: keys.ts). Not ours: fenced, no script. Ours and no
  // key held (every key of a fresh tick): nothing to decide, no script either; that saves one
  // script run of n reads per chunk. A key set after this read is BullMQ's add's to refuse, as
  // it is for a key the script sees free; the add scripts check the fence again themselves.
  const leaseKeys = fence ? [fence.leaseKey] : [];
  const read = await reader.mget([...leaseKeys, ...dedupKeys]);
  if (fence && read[0] !== fence.token) return FENCED;
  const holders = fence ? read.slice(1) : read;
  if (holders.every((jobId) => jobId === null)) return holders.map(() => false);
  const jobKeys = holders.flatMap((jobId) => (jobId === null ? [] : [queue.toKey(jobId)]));
  const keys = [...leaseKeys, ...dedupKeys, ...jobKeys];
  const reply = (await client.runCommand(COMMAND, [
    keys.length,
    ...keys,
    fence?.token ?? '',
    dedupKeys.length,
    ...holders.map((jobId) => jobId ?? ''),
  ])) as unknown;
  if (reply === FENCED) return FENCED;
  if (!Array.isArray(reply) || reply.length !== dedupIds.length) {
    throw new Error('held deduplication keys: unexpected reply from Redis');
  }
  return reply.map((flag) => flag === 1);
}
