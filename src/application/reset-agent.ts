import { notFound } from '../domain/errors.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';
import type { AuditContext } from '../domain/ports/audit-log.js';
import { auditEntry } from './audit-entry.js';
import { parseUserId } from './agent-id.js';

export interface ResetAgentResult {
  readonly userId: string;
  /** Rows whose breaker or failure counts changed; 0 when all were already closed and clear. */
  readonly reset: number;
}

/**
 * An operator's "this agent is fixed": closes its breakers and clears its failure counts, so
 * its next tick enqueues it again. Idempotent for a known agent; 404 for one with no state.
 * Given an audit context, the store records the reset in the same transaction (not for an
 * unknown agent: that is a 404, no change).
 */
export class ResetAgent {
  constructor(private readonly store: AgentStateStore) {}

  async execute(raw: unknown, audit?: AuditContext): Promise<ResetAgentResult> {
    const userId = parseUserId(raw);
    const reset = await this.store.reset(userId, auditEntry(audit, 'agent.reset', userId));
    // Only a reset that changed nothing needs a second read, to tell "clean" from "unknown".
    if (reset === 0 && (await this.store.agent(userId)).length === 0) {
      throw notFound(`Agent ${userId} has no sync state to reset.`);
    }
    return { userId, reset };
  }
}
