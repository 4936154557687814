import type { PairState } from '../domain/breakers.js';
import { notFound } from '../domain/errors.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';
import { isSharedType, SERVICE_ACCOUNT, SYNC_TYPES } from '../domain/sync-types.js';
import { parseUserId } from './agent-id.js';

const typeOrder = (row: PairState): number => SYNC_TYPES.indexOf(row.type);

/** A row belongs to what an agent sees: its own agent types, and the shared types' one row. */
const belongs = (userId: string) => (row: PairState) =>
  isSharedType(row.type) ? row.userId === SERVICE_ACCOUNT : row.userId === userId;

/**
 * Every row the store has for one agent, in sync type order: its agent types, plus the shared
 * types' `service-account` rows (every agent depends on them). An agent with no row of its
 * own is unknown here: 404, even though the shared rows exist.
 */
export class GetAgent {
  constructor(private readonly store: AgentStateStore) {}

  async execute(raw: unknown): Promise<readonly PairState[]> {
    const userId = parseUserId(raw);
    const own = (await this.store.agent(userId)).filter(belongs(userId));
    if (own.length === 0) throw notFound(`Agent ${userId} has no sync state.`);
    // The port's agent() may or may not bring the shared rows along: ask for them if not.
    const shared = own.some((row) => isSharedType(row.type))
      ? []
      : (await this.store.agent(SERVICE_ACCOUNT)).filter(belongs(SERVICE_ACCOUNT));
    const byType = new Map([...own, ...shared].map((row) => [row.type, row]));
    return [...byType.values()].sort((a, b) => typeOrder(a) - typeOrder(b));
  }
}
