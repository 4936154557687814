import { BREAKER_STATES, type BreakerState } from '../domain/breakers.js';
import { invalidInput } from '../domain/errors.js';
import type { Clock } from '../domain/ports/clock.js';
import type {
  AgentListPage,
  AgentListQuery,
  AgentStateStore,
} from '../domain/ports/agent-state-store.js';
import { parseSyncType } from '../domain/sync-types.js';
import type { SchedulingService } from './scheduling-service.js';

export const DEFAULT_AGENT_LIMIT = 50;
export const MAX_AGENT_LIMIT = 500;
export const MAX_CURSOR_LENGTH = 200;
/** A breaker state, or "stale": no success for more than two intervals of the pair's type. */
export const AGENT_STATE_FILTERS = [...BREAKER_STATES, 'stale'] as const;
export type AgentStateFilter = (typeof AGENT_STATE_FILTERS)[number];

/** As the HTTP layer hands it over: every field still to be checked here. */
export interface ListAgentsQuery {
  readonly type?: unknown;
  readonly state?: unknown;
  readonly limit?: unknown;
  readonly cursor?: unknown;
}

const isStateFilter = (value: unknown): value is BreakerState | 'stale' =>
  (AGENT_STATE_FILTERS as readonly unknown[]).includes(value);

function validLimit(raw: unknown): number {
  const limit = raw ?? DEFAULT_AGENT_LIMIT;
  if (Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_AGENT_LIMIT) {
    return limit as number;
  }
  throw invalidInput('limit', `must be a whole number between 1 and ${MAX_AGENT_LIMIT}`);
}

function validCursor(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && raw.length >= 1 && raw.length <= MAX_CURSOR_LENGTH) return raw;
  throw invalidInput(
    'cursor',
    `must be a cursor from a previous page (at most ${MAX_CURSOR_LENGTH} characters)`,
  );
}

/**
 * One page of (type, agent) rows, newest failure first. "Stale" depends on each type's
 * interval, which only the scheduler knows, and on now, which only the clock knows.
 */
export class ListAgents {
  constructor(
    private readonly store: AgentStateStore,
    private readonly scheduler: Pick<SchedulingService, 'getIntervals'>,
    private readonly clock: Clock,
  ) {}

  async execute(raw: ListAgentsQuery = {}): Promise<AgentListPage> {
    const limit = validLimit(raw.limit);
    const type = raw.type === undefined ? undefined : parseSyncType(raw.type);
    if (raw.state !== undefined && !isStateFilter(raw.state)) {
      throw invalidInput('state', `must be one of ${AGENT_STATE_FILTERS.join(', ')}`);
    }
    const state = raw.state;
    const cursor = validCursor(raw.cursor);
    const query: AgentListQuery = {
      limit,
      ...(type && { type }),
      ...(state && { state }),
      ...(cursor !== undefined && { cursor }),
      ...(state === 'stale' && {
        intervalsMs: this.scheduler.getIntervals(),
        now: this.clock.now(),
      }),
    };
    return this.store.list(query);
  }
}
