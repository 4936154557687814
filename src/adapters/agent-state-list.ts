import type { PairState } from '../domain/breakers.js';
import { invalidInput } from '../domain/errors.js';
import type { AgentListQuery } from '../domain/ports/agent-state-store.js';

/**
 * 'stale': no success for more than two intervals of its type (a pair that never succeeded
 * is stale too: it has no fresh data at all). It needs the intervals and now.
 */
export function staleSince(query: AgentListQuery): ((pair: PairState) => number) | null {
  if (query.state !== 'stale') return null;
  const { intervalsMs, now } = query;
  if (!intervalsMs || now === undefined) {
    throw invalidInput('state', "'stale' needs the intervals of the types and now");
  }
  return (pair) => now - 2 * intervalsMs[pair.type];
}

/** The in-memory form of the list's filters (type, breaker state or 'stale'). */
export function listFilter(query: AgentListQuery): (pair: PairState) => boolean {
  const cutoff = staleSince(query);
  return (pair) => {
    if (query.type !== undefined && pair.type !== query.type) return false;
    if (cutoff) return pair.lastCompletedAt === null || pair.lastCompletedAt < cutoff(pair);
    return query.state === undefined || pair.breaker === query.state;
  };
}

/** A page holds 1..500 rows, whatever was asked. */
export const pageSize = (limit: number): number =>
  Math.min(500, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 1)));
