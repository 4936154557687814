import type { Queue } from 'bullmq';

const COMMAND = 'syncSchedulerHeldDedupKeys';

/**
 * For each deduplication id, 1 when BullMQ's add scripts would deduplicate a job with that id
 * right now, else 0 — the same test as `deduplicateJobWithoutReplace` in simple mode: the key
 * exists and is not stale (`recoverStaleDeduplicationKey`: no TTL and the job it names is gone).
 * KEYS[1] is the `de` base key (it routes the call); ARGV[1] the job key prefix; then the ids.
 * One atomic read, so a 1 means the key was held at that instant.
 */
const LUA = `
local held = {}
for i = 2, #ARGV do
  local key = KEYS[1] .. ':' .. ARGV[i]
  local jobId = redis.call('GET', key)
  local isHeld = 0
  if jobId and (redis.call('PTTL', key) ~= -1 or redis.call('EXISTS', ARGV[1] .. jobId) == 1) then
    isHeld = 1
  end
  held[i - 1] = isHeld
end
return held
`;

/** Clients that already know the script (the queue's client is one proxy for its lifetime). */
const defined = new WeakSet<object>();

/** Which of `dedupIds` are held by a pending job (waiting, delayed, prioritized or active). */
export async function heldDedupKeys(queue: Queue, dedupIds: readonly string[]): Promise<boolean[]> {
  if (dedupIds.length === 0) return [];
  const client = await queue.getBackend().client;
  if (!defined.has(client)) {
    // Not readOnly: a replica could still show a key the primary has released.
    client.defineCommand(COMMAND, { numberOfKeys: 1, lua: LUA });
    defined.add(client);
  }
  const flags = (await client.runCommand(COMMAND, [
    queue.keys.de,
    queue.toKey(''),
    ...dedupIds,
  ])) as unknown;
  if (!Array.isArray(flags) || flags.length !== dedupIds.length) {
    throw new Error('held deduplication keys: unexpected reply from Redis');
  }
  return flags.map((flag) => flag === 1);
}
