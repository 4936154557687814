import type { RedisClient } from './redis-client.js';
import type { DeferredPair, ReleaseLedger } from '../../domain/ports/release-ledger.js';
import { isSyncType } from '../../domain/sync-types.js';
import { unreachableAs } from '../unreachable.js';

/**
 * Adds `count` to the bucket of `now` and drops buckets older than the window, atomically;
 * the hash expires on its own once nothing is released for two windows. KEYS[1] the hash;
 * ARGV bucket, count, oldest bucket kept, ttl ms.
 */
const RECORD = `
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
local oldest = tonumber(ARGV[3])
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if tonumber(field) < oldest then redis.call('HDEL', KEYS[1], field) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** Between type and agent in a manual member (neither can contain it). */
const SEPARATOR = '\u0000';

const UNREACHABLE = 'The release budget could not be read: Redis is unreachable.';

/**
 * The ledger beside the lease (`<leaseKey>:releases`, a hash of per-bucket counts, and
 * `<leaseKey>:manual`, a sorted set of `type\0userId` scored by last success), so every
 * replica and every leader see the same counts. Works on any connection (the producer's).
 */
export class RedisReleaseLedger implements ReleaseLedger {
  readonly releasesKey: string;
  readonly manualKey: string;

  constructor(
    private readonly redis: RedisClient,
    leaseKey: string,
    /** 1/60 of the scheduler minute: the rolling minute's resolution. */
    private readonly bucketMs = 1_000,
  ) {
    this.releasesKey = `${leaseKey}:releases`;
    this.manualKey = `${leaseKey}:manual`;
  }

  recordReleased(count: number, now: number): Promise<void> {
    return unreachableAs(UNREACHABLE, async () => {
      if (!Number.isSafeInteger(count) || count <= 0) return;
      const bucket = Math.floor(now / this.bucketMs);
      const keep = 120;
      await this.redis.eval(
        RECORD,
        1,
        this.releasesKey,
        bucket,
        count,
        bucket - keep,
        keep * this.bucketMs * 2,
      );
    });
  }

  releasedWithin(windowMs: number, now: number): Promise<number> {
    return unreachableAs(UNREACHABLE, async () => {
      const oldest = Math.floor((now - windowMs) / this.bucketMs) + 1;
      const buckets = await this.redis.hgetall(this.releasesKey);
      let total = 0;
      for (const [bucket, count] of Object.entries(buckets)) {
        if (Number(bucket) >= oldest) total += Number(count) || 0;
      }
      return total;
    });
  }

  deferManual(pairs: readonly DeferredPair[]): Promise<void> {
    return unreachableAs(UNREACHABLE, async () => {
      if (pairs.length === 0) return;
      const args: (string | number)[] = [];
      for (const pair of pairs)
        args.push(pair.lastSuccessAt, `${pair.type}${SEPARATOR}${pair.userId}`);
      // NX: a pair already waiting keeps its place.
      for (let i = 0; i < args.length; i += 2_000) {
        await this.redis.zadd(this.manualKey, 'NX', ...args.slice(i, i + 2_000));
      }
    });
  }

  takeManual(max: number): Promise<readonly DeferredPair[]> {
    return unreachableAs(UNREACHABLE, async () => {
      if (max <= 0) return [];
      const popped = await this.redis.zpopmin(this.manualKey, max);
      const pairs: DeferredPair[] = [];
      for (let i = 0; i + 1 < popped.length; i += 2) {
        const member = popped[i] as string;
        const at = Number(popped[i + 1]);
        const cut = member.indexOf(SEPARATOR);
        const type = member.slice(0, cut);
        if (cut > 0 && isSyncType(type)) {
          pairs.push({ type, userId: member.slice(cut + 1), lastSuccessAt: at });
        }
      }
      return pairs;
    });
  }
}
