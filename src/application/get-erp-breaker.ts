import type { BreakerState } from '../domain/breakers.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';

export interface ErpBreakerView {
  readonly state: BreakerState;
  readonly since: number | null;
  readonly openUntil: number | null;
  /** The outcomes the breaker weighs now, and how many of them failed. */
  readonly window: { readonly outcomes: number; readonly failed: number };
}

/** The fleet-wide ERP breaker as operators see it (the dashboard's banner). */
export class GetErpBreaker {
  constructor(private readonly store: AgentStateStore) {}

  async execute(): Promise<ErpBreakerView> {
    const erp = await this.store.loadErpBreaker();
    return {
      state: erp.state,
      since: erp.since,
      openUntil: erp.openUntil,
      window: {
        outcomes: erp.window.length,
        failed: erp.window.filter((outcome) => !outcome.success).length,
      },
    };
  }
}
