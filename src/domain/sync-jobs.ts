import type { SyncJob } from './ports/job-queue.js';
import { isSharedType, SERVICE_ACCOUNT, type SyncType } from './sync-types.js';

/** One job per agent for an agent type; exactly one service-account job for a shared type. */
export function buildSyncJobs(
  type: SyncType,
  agentIds: readonly string[],
  timestamp: number,
): SyncJob[] {
  if (isSharedType(type)) return [{ type, userId: SERVICE_ACCOUNT, timestamp }];
  return agentIds.map((userId) => ({ type, userId, timestamp }));
}

/** At most one pending job per key; also BullMQ's deduplication id. */
export const dedupKey = (type: SyncType, userId: string): string => `sync-${type}-${userId}`;
