import type { Logger } from 'pino';
import { errorMessage } from '../error-message.js';
import type {
  BudgetCycle,
  ReleaseReport,
  TickFailure,
  TickFenced,
  TickObserver,
  TickReport,
  TickStage,
} from '../../domain/ports/tick-observer.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import type { Metrics } from './metrics.js';

// Records, so that a stage or fence point added to the port fails to compile until listed here.
const STAGES = Object.keys({ agentLookup: 0, breakers: 0, enqueue: 0, release: 0 } satisfies Record<
  TickStage,
  0
>) as TickStage[];
const FENCE_POINTS = Object.keys({ fire: 0, chunk: 0, release: 0 } satisfies Record<
  TickFenced['at'],
  0
>);

/** Turns tick reports into one log line each and into Prometheus counters. */
export class LoggingTickObserver implements TickObserver {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    // The counters alerts take increase() of start at 0 for every label set: a series born at
    // 1 would hide its first failure from increase().
    for (const type of SYNC_TYPES) {
      for (const stage of STAGES) metrics.tickFailures.inc({ type, stage }, 0);
      for (const at of FENCE_POINTS) metrics.fencedChunks.inc({ type, at }, 0);
    }
  }

  tickCompleted(report: TickReport): void {
    const { type, agents, added, deduplicated, durationMs } = report;
    const skippedBreaker = report.skippedBreaker ?? 0;
    const skippedWindow = report.skippedWindow ?? 0;
    const deferredBudget = report.deferredBudget ?? 0;
    const notDueTier = report.notDueTier ?? 0;
    this.metrics.ticks.inc({ type, outcome: 'completed' });
    this.countReleased(type, added, deduplicated);
    this.metrics.outcomes.inc({ type, class: 'skipped_breaker' }, skippedBreaker);
    this.metrics.outcomes.inc({ type, class: 'skipped_window' }, skippedWindow);
    this.metrics.tickDuration.observe({ type }, durationMs / 1000);
    this.logger.info(
      {
        event: 'tick',
        type,
        agents,
        enqueued: added,
        deduplicated,
        skippedBreaker,
        ...(report.skippedWindow !== undefined ? { skippedWindow } : {}),
        ...(report.deferredBudget !== undefined ? { deferredBudget } : {}),
        ...(report.notDueTier !== undefined ? { notDueTier } : {}),
        durationMs,
      },
      `tick ${type}: ${added} enqueued, ${deduplicated} already pending` +
        (skippedBreaker > 0 ? `, ${skippedBreaker} held back by an open breaker` : '') +
        (skippedWindow > 0 ? `, ${skippedWindow} outside the working hours` : '') +
        (deferredBudget > 0 ? `, ${deferredBudget} waiting for the release budget` : '') +
        (notDueTier > 0 ? `, ${notDueTier} idle or offline agents not due` : ''),
    );
  }

  released({ type, added, deduplicated, deferred, waiting }: ReleaseReport): void {
    this.countReleased(type, added, deduplicated);
    this.metrics.outcomes.inc({ type, class: 'deferred_budget' }, deferred);
    this.logger.debug(
      { event: 'release', type, enqueued: added, deduplicated, deferred, waiting },
      `release ${type}: ${added} enqueued, ${waiting} waiting for the budget`,
    );
  }

  releaseFailed(error: unknown): void {
    this.logger.warn(
      { event: 'release_failed', err: error },
      `release budget: the pass failed (${errorMessage(error)}); the next pass retries`,
    );
  }

  budgetCycle({ type, ratio, changed }: BudgetCycle): void {
    this.metrics.budgetCycleRatio.set({ type }, ratio);
    if (!changed) return;
    const rounded = Math.round(ratio * 100) / 100;
    if (ratio > 1) {
      this.logger.warn(
        { event: 'budget_short', type, cycleRatio: rounded },
        `release budget: ${type} needs ${rounded} × its interval to release every agent; raise ERP_MAX_PER_MINUTE / ERP_MAX_IN_FLIGHT or the interval`,
      );
    } else {
      this.logger.info(
        { event: 'budget_enough', type, cycleRatio: rounded },
        `release budget: ${type} is released within its interval again (${rounded} × the interval)`,
      );
    }
  }

  private countReleased(type: SyncType, added: number, deduplicated: number): void {
    this.metrics.jobsEnqueued.inc({ type }, added);
    this.metrics.jobsDeduplicated.inc({ type }, deduplicated);
    this.metrics.outcomes.inc({ type, class: 'deduplicated' }, deduplicated);
  }

  tickFailed({ type, stage, error, durationMs }: TickFailure): void {
    this.metrics.ticks.inc({ type, outcome: 'failed' });
    this.metrics.tickFailures.inc({ type, stage });
    this.logger.error(
      { event: 'tick_failed', type, stage, durationMs, err: error },
      `tick ${type} failed during ${stage}: ${errorMessage(error)}; the next tick will retry`,
    );
  }

  tickFenced({ type, at, jobs }: TickFenced): void {
    this.metrics.fencedChunks.inc({ type, at });
    this.logger.warn(
      { event: 'tick_fenced', type, at, jobs },
      at === 'fire'
        ? `tick ${type} not run: this replica's leader lease had passed when its timer fired`
        : `tick ${type}: ${jobs} jobs not sent: the leader lease no longer holds (fenced; the new leader schedules them)`,
    );
  }

  breakerReadFailed({ type, error }: { type: SyncType; error: unknown }): void {
    this.logger.warn(
      { event: 'breaker_read_failed', type, err: error },
      `tick ${type}: the breakers could not be read (${errorMessage(error)}); sending every job`,
    );
  }

  agentStateFailed(error: unknown): void {
    this.logger.warn(
      { event: 'agent_state_failed', err: error },
      `per-agent state: last enqueued or probes not recorded (${errorMessage(error)})`,
    );
  }

  decisionsFailed(error: unknown): void {
    this.logger.warn(
      { event: 'decisions_failed', err: error },
      `sync history: a tick's decisions not recorded (${errorMessage(error)})`,
    );
  }

  tickSkipped(type: SyncType): void {
    this.metrics.ticks.inc({ type, outcome: 'skipped' });
    this.logger.warn(
      { event: 'tick_skipped', type },
      `tick ${type} skipped: the previous one is still running`,
    );
  }
}
