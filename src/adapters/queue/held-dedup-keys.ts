import type { Queue } from 'bullmq';
import { FENCED } from './fenced-add.js';

const COMMAND = 'syncSchedulerHeldDedupKeys';

/**
 * For each deduplication key, 1 when BullMQ's add scripts would deduplicate a job with it right
 * now, else 0 — the same test as `deduplicateJobWithoutReplace` in simple mode: the key exists
 * and is not stale (`recoverStaleDeduplicationKey`: no TTL and the job it names is gone).
 * With a fence (ARGV[2] is the token), KEYS[1] is the lease key and the read answers FENCED
 * unless the lease key holds the token; the other KEYS are the deduplication keys. ARGV[1] is
 * the job key prefix. Every key whose name is known beforehand is declared (Redis Cluster);
 * the job key is not and cannot be: its name is the value of the deduplication key, read here
 * (BullMQ's own add scripts read it the same way; a hash-tagged prefix keeps it in one slot).
 * One atomic read, so a 1 means the key was held at that instant.
 */
const LUA = `
local first = 1
if ARGV[2] ~= '' then
  if redis.call('GET', KEYS[1]) ~= ARGV[2] then return '${FENCED}' end
  first = 2
end
local held = {}
for i = first, #KEYS do
  local key = KEYS[i]
  local jobId = redis.call('GET', key)
  local isHeld = 0
  if jobId and (redis.call('PTTL', key) ~= -1 or redis.call('EXISTS', ARGV[1] .. jobId) == 1) then
    isHeld = 1
  end
  held[#held + 1] = isHeld
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
 * a fence, FENCED instead when the lease key does not hold its token.
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
  const keys = dedupIds.map((id) => `${queue.keys.de}:${id}`);
  if (fence) keys.unshift(fence.leaseKey);
  const reply = (await client.runCommand(COMMAND, [
    keys.length,
    ...keys,
    queue.toKey(''),
    fence?.token ?? '',
  ])) as unknown;
  if (reply === FENCED) return FENCED;
  if (!Array.isArray(reply) || reply.length !== dedupIds.length) {
    throw new Error('held deduplication keys: unexpected reply from Redis');
  }
  return reply.map((flag) => flag === 1);
}
