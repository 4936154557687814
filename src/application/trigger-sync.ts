import { invalidInput, notFound } from '../domain/errors.js';
import type { AgentRegistry } from '../domain/ports/agent-registry.js';
import type { Clock } from '../domain/ports/clock.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';
import type { AuditContext, AuditLog } from '../domain/ports/audit-log.js';
import type { JobQueue, SyncJob } from '../domain/ports/job-queue.js';
import type { DeferredPair, ReleaseLedger } from '../domain/ports/release-ledger.js';
import { gateJobs, readBreakers, UNGATED } from './breaker-gate.js';
import { buildSyncJobs } from '../domain/sync-jobs.js';
import { isSharedType, parseSyncType, type SyncType } from '../domain/sync-types.js';

export interface TriggerSyncCommand {
  readonly type: unknown;
  /** Only this agent; absent means every whitelisted agent (or the shared job). */
  readonly userId?: string | undefined;
  readonly audit?: AuditContext;
}

export interface TriggerSyncResult {
  readonly type: SyncType;
  readonly enqueued: number;
  readonly deduplicated: number;
  /** Held back by an open breaker (a trigger for every agent respects them). */
  readonly skippedBreaker: number;
  /** A trigger for one agent whose pair breaker was open: sent anyway, as the operator asked. */
  readonly bypassedBreaker: boolean;
  /**
   * Under a release budget a trigger for every agent enqueues nothing itself: its pairs wait
   * for the leader's release loop, most stale first (`deferred_budget`). 0 otherwise.
   */
  readonly deferredBudget: number;
}

export interface TriggerSyncOptions {
  readonly agentState?: AgentStateStore;
  readonly erpProbeSize?: number;
  /** The breaker state could not be read: the trigger went through unfiltered. */
  readonly onBreakerReadFailed?: (error: unknown) => void;
  /** A trigger for one agent went out although its pair breaker was open (the operator's call). */
  readonly onBypass?: (type: SyncType, userId: string) => void;
  /**
   * The release budget: a trigger for every agent hands its pairs to the leader through the
   * shared ledger instead of enqueuing them (only the leader releases, so the budget holds
   * fleet-wide); a trigger for one agent is immediate.
   */
  readonly budget?: {
    readonly ledger: ReleaseLedger;
    readonly lastSuccesses?: (type: SyncType) => Promise<ReadonlyMap<string, number>>;
  };
  /**
   * Where a trigger with an audit context is recorded, after its jobs were enqueued or
   * deferred. The change is in Redis (the queue, or the ledger), the trail in PostgreSQL: no
   * transaction spans both, so the row follows the change. A trail that cannot be written then
   * is reported to `onFailed` (log it loudly) and the trigger still answers: its jobs are out,
   * and failing the request would invite a retry that enqueues them again.
   */
  readonly auditLog?: {
    readonly log: AuditLog;
    readonly onFailed: (error: unknown, command: TriggerSyncCommand) => void;
  };
}

/** How long a trigger's answer waits for its audit row before going out anyway. */
const AUDIT_WAIT_MS = 200;

/** Enqueues a type now, outside its schedule; the schedule itself is not moved. */
export class TriggerSync {
  constructor(
    private readonly agents: AgentRegistry,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
    private readonly options: TriggerSyncOptions = {},
  ) {}

  /**
   * A trigger for every agent (or the shared job) goes through the breakers like a tick; a
   * trigger for one agent bypasses that agent's pair breaker (the operator's intent) and says
   * so. Either way the enqueued pairs' state is recorded.
   */
  async execute(command: TriggerSyncCommand): Promise<TriggerSyncResult> {
    const type = parseSyncType(command.type);
    const agentIds = await this.agentIdsFor(type, command.userId);
    const now = this.clock.now();
    const built = buildSyncJobs(type, agentIds, now);
    const { agentState } = this.options;
    const one = command.userId !== undefined;
    const onReadFailed = (error: unknown): void => this.options.onBreakerReadFailed?.(error);
    const view = agentState ? await readBreakers(agentState, type, now, onReadFailed) : null;
    const gated = agentState
      ? await gateJobs(agentState, view, built, now, {
          erpProbeSize: this.options.erpProbeSize ?? 5,
          pairBreakers: !one,
        })
      : UNGATED(built);
    const jobs = gated.send;
    const { budget } = this.options;
    if (budget && !one) {
      await budget.ledger.deferManual(await this.deferred(type, jobs, budget.lastSuccesses));
      return this.audited(command, {
        type,
        enqueued: 0,
        deduplicated: 0,
        skippedBreaker: gated.skipped,
        bypassedBreaker: false,
        deferredBudget: jobs.length,
      });
    }
    const result =
      jobs.length > 0 ? await this.queue.enqueue(jobs) : { added: 0, deduplicated: 0, fenced: 0 };
    if (agentState && jobs.length > 0) {
      // Not awaited: the answer does not depend on it, and a slow database must not delay it.
      void agentState
        .recordEnqueued(
          type,
          jobs.map((job) => job.userId),
          now,
        )
        .catch(onReadFailed);
    }
    for (const userId of gated.bypassed) this.options.onBypass?.(type, userId);
    return this.audited(command, {
      type,
      enqueued: result.added,
      deduplicated: result.deduplicated,
      skippedBreaker: gated.skipped,
      bypassedBreaker: gated.bypassed.length > 0,
      deferredBudget: 0,
    });
  }

  /** Records the trigger that went out (never fails it: see `auditLog`), then answers. */
  private async audited(
    command: TriggerSyncCommand,
    result: TriggerSyncResult,
  ): Promise<TriggerSyncResult> {
    const { auditLog } = this.options;
    if (!auditLog || !command.audit) return result;
    const { type, ...counts } = result;
    const written = auditLog.log
      .record({
        ...command.audit,
        action: 'trigger',
        target: type,
        before: null,
        after: { userId: command.userId ?? null, ...counts },
      })
      .catch((error: unknown) => auditLog.onFailed(error, command));
    // A database that does not answer (a partition) must not hold the answer: the jobs are
    // out. Waited for briefly, so that normally the row exists when the client hears back.
    // Real time, not the scheduler's Clock: this bounds an I/O wait, whatever clock ticks run on.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      written,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, AUDIT_WAIT_MS))),
    ]);
    clearTimeout(timer);
    return result;
  }

  /** The pairs with their last success (none known: every one counts as never, most stale). */
  private async deferred(
    type: SyncType,
    jobs: readonly SyncJob[],
    lastSuccesses: ((type: SyncType) => Promise<ReadonlyMap<string, number>>) | undefined,
  ): Promise<DeferredPair[]> {
    let known: ReadonlyMap<string, number> = new Map();
    if (lastSuccesses) {
      try {
        known = await lastSuccesses(type);
      } catch (error) {
        this.options.onBreakerReadFailed?.(error);
      }
    }
    return jobs.map((job) => ({
      type,
      userId: job.userId,
      lastSuccessAt: known.get(job.userId) ?? 0,
    }));
  }

  private async agentIdsFor(
    type: SyncType,
    userId: string | undefined,
  ): Promise<readonly string[]> {
    if (isSharedType(type)) {
      if (userId !== undefined) throw invalidInput('userId', `is not accepted: ${type} is shared`);
      return [];
    }
    // The adapters reject with `unavailable` when unreachable; anything else is a bug (500).
    const agentIds = await this.agents.listActiveAgentIds();
    if (userId === undefined) return agentIds;
    if (!agentIds.includes(userId)) throw notFound(`Agent ${userId} is not a whitelisted agent.`);
    return [userId];
  }
}
