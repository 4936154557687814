import type { PairState } from '../../src/domain/breakers.js';
import type { SyncType } from '../../src/domain/sync-types.js';

/** A (type, agent) row with every field at rest; `fields` overrides. Test data for `seed`. */
export function aPair(type: SyncType, userId: string, fields: Partial<PairState> = {}): PairState {
  return {
    type,
    userId,
    lastEnqueuedAt: null,
    lastStartedAt: null,
    lastCompletedAt: null,
    lastFailedAt: null,
    lastFailureReason: null,
    consecutiveFailures: 0,
    recentFailures: [],
    breaker: 'closed',
    openUntil: null,
    ...fields,
  };
}
