import type { AgentRegistry } from '../../domain/ports/agent-registry.js';
import { asAdapterFailure } from './failure.js';

export class InMemoryAgentRegistry implements AgentRegistry {
  private failure: Error | null = null;
  /** How many lookups reached this registry. */
  calls = 0;

  constructor(private agentIds: readonly string[] = []) {}

  async listActiveAgentIds(): Promise<readonly string[]> {
    this.calls++;
    if (this.failure) {
      throw asAdapterFailure(
        this.failure,
        'The agent list could not be read: the database is unreachable.',
      );
    }
    return [...this.agentIds];
  }

  setAgents(agentIds: readonly string[]): void {
    this.agentIds = [...agentIds];
  }

  failWith(error: Error | null): void {
    this.failure = error;
  }
}
