import type { AgentStateStore, OutcomesApplied } from '../../domain/ports/agent-state-store.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** The value of `sync_scheduler_breaker_state`: 0 closed, 1 half open, 2 open. */
export const BREAKER_LEVEL = { closed: 0, half_open: 1, open: 2 } as const;
const at = (epochMs: number | null): string =>
  epochMs === null ? 'unknown' : new Date(epochMs).toISOString();

/** One line per breaker transition (the writer reports each once), and the ERP gauge. */
export function logBreakerChanges(
  applied: OutcomesApplied,
  logger: Logger,
  metrics: Metrics,
): void {
  for (const pair of applied.pairsChanged) {
    const fields = {
      event: 'breaker',
      scope: 'pair',
      type: pair.type,
      userId: pair.userId,
      state: pair.breaker,
      openUntil: pair.openUntil,
      consecutiveFailures: pair.consecutiveFailures,
      reason: pair.lastFailureReason,
    };
    if (pair.breaker === 'open') {
      logger.warn(
        fields,
        `breaker ${pair.type}/${pair.userId} open until ${at(pair.openUntil)} after ${pair.consecutiveFailures} consecutive failures: ${pair.lastFailureReason ?? 'no reason'}`,
      );
    } else {
      logger.info(fields, `breaker ${pair.type}/${pair.userId} ${pair.breaker}`);
    }
  }
  if (!applied.erpChanged) return;
  const { erp } = applied;
  metrics.breakerState.set({ scope: 'erp' }, BREAKER_LEVEL[erp.state]);
  const failed = erp.window.filter((outcome) => !outcome.success).length;
  const fields = { event: 'breaker', scope: 'erp', state: erp.state, openUntil: erp.openUntil };
  if (erp.state === 'open') {
    logger.warn(
      fields,
      `ERP breaker open until ${at(erp.openUntil)}: ${failed} of the last ${erp.window.length} outcomes failed; ticks enqueue nothing until a probe succeeds`,
    );
  } else {
    logger.info(fields, `ERP breaker ${erp.state}`);
  }
}

/** The store the writer uses, counting each final outcome once by class. */
export function countingOutcomes(store: AgentStateStore, metrics: Metrics): AgentStateStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'recordOutcomes') return Reflect.get(target, property, receiver) as unknown;
      const record: AgentStateStore['recordOutcomes'] = async (outcomes, now) => {
        const applied = await target.recordOutcomes(outcomes, now);
        for (const outcome of outcomes) {
          metrics.outcomes.inc({
            type: outcome.type,
            class: outcome.success ? 'completed' : 'failed',
          });
        }
        return applied;
      };
      return record;
    },
  });
}
