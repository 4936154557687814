import type { RedisClient } from './redis-client.js';
import type { RunLog } from '../../domain/ports/run-log.js';
import { isSyncType, type SyncType } from '../../domain/sync-types.js';

/** How far ahead of Redis' own clock a stored run may be and still be believed. */
export const FUTURE_TOLERANCE_MS = 60_000;

/**
 * Raises a type's last run, never lowers it: two leaders overlapping at a handover (or a late
 * write of the old one) cannot move the phase back. The one exception is a stored run later
 * than Redis' clock plus FUTURE_TOLERANCE_MS: written by a clock that ran ahead, it would
 * postpone that type until real time caught up, so any later record replaces it (the trap
 * PostgresRunLog avoids by letting every write win). KEYS[1] the hash; ARGV type, epoch ms,
 * tolerance.
 */
const RECORD = `
local stored = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local at = tonumber(ARGV[2])
if stored and stored >= at then
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  if stored <= nowMs + tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/**
 * Last runs in Redis beside the lease (`<leaseKey>:last-runs`, one field per type, epoch ms),
 * so a leader taking over during a PostgreSQL outage still knows the phase. Decorated together
 * with PostgresRunLog by NewestRunLog. Works on any connection (the producer's is meant). The
 * key is the lease key's, so on a cluster it shares the lease's (and the queue's) hash tag.
 */
export class RedisRunLog implements RunLog {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    leaseKey: string,
  ) {
    this.key = `${leaseKey}:last-runs`;
  }

  async loadLastRuns(): Promise<Partial<Record<SyncType, number>>> {
    const stored = await this.redis.hgetall(this.key);
    const lastRuns: Partial<Record<SyncType, number>> = {};
    for (const [type, value] of Object.entries(stored)) {
      const at = Number(value);
      if (isSyncType(type) && Number.isSafeInteger(at)) lastRuns[type] = at;
    }
    return lastRuns;
  }

  async recordRun(type: SyncType, at: number): Promise<void> {
    if (!isSyncType(type) || !Number.isFinite(at)) {
      throw new RangeError(`run log: cannot record ${String(at)} for ${String(type)}`);
    }
    await this.redis.eval(RECORD, 1, this.key, type, Math.round(at), FUTURE_TOLERANCE_MS);
  }
}
