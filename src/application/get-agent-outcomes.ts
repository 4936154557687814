import { invalidInput } from '../domain/errors.js';
import type { SyncEvent, SyncHistory } from '../domain/ports/sync-history.js';
import { parseUserId } from './agent-id.js';

export const DEFAULT_OUTCOME_LIMIT = 30;
export const MAX_OUTCOME_LIMIT = 100;

function validLimit(raw: unknown): number {
  const limit = raw ?? DEFAULT_OUTCOME_LIMIT;
  if (Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_OUTCOME_LIMIT) {
    return limit as number;
  }
  throw invalidInput('limit', `must be a whole number between 1 and ${MAX_OUTCOME_LIMIT}`);
}

/**
 * One agent's newest outcomes of every type, newest first: the dashboard's strip per agent.
 * An agent the history has nothing of has no outcomes (the history knows no whitelist);
 * retention keeps the newest outcomes of each type fleet-wide, so a large fleet keeps few
 * per agent.
 */
export class GetAgentOutcomes {
  constructor(private readonly history: SyncHistory) {}

  async execute(rawUserId: unknown, rawLimit?: unknown): Promise<readonly SyncEvent[]> {
    const userId = parseUserId(rawUserId);
    return this.history.agentOutcomes(userId, validLimit(rawLimit));
  }
}
