import { ContainerModule } from 'inversify';
import { errorMessage } from '../adapters/error-message.js';
import { BREAKER_LEVEL } from '../adapters/observability/breaker-log.js';
import type { Logger } from '../adapters/observability/logger.js';
import type { Metrics } from '../adapters/observability/metrics.js';
import type { DependencyProbe } from '../adapters/probes.js';
import type { AgentUseCases } from '../adapters/http/routes/agent-routes.js';
import type { ChartUseCases } from '../adapters/http/routes/charts-routes.js';
import type { SyncUseCases } from '../adapters/http/routes/sync-routes.js';
import { waitForDependencies } from '../adapters/wait-for-dependencies.js';
import { FollowDesiredState } from '../application/follow-desired-state.js';
import { ClearWorkingWindow } from '../application/clear-working-window.js';
import { GetAgent } from '../application/get-agent.js';
import { GetAgentOutcomes } from '../application/get-agent-outcomes.js';
import { GetAutoSyncStatus } from '../application/get-auto-sync-status.js';
import { GetCharts } from '../application/get-charts.js';
import { GetErpBreaker } from '../application/get-erp-breaker.js';
import { GetIntervals } from '../application/get-intervals.js';
import { GetMonitoringStatus } from '../application/get-monitoring-status.js';
import { GetTypeSettings } from '../application/get-type-settings.js';
import { ListAgents } from '../application/list-agents.js';
import { ListAudit } from '../application/list-audit.js';
import { ResetAgent } from '../application/reset-agent.js';
import { SchedulingService } from '../application/scheduling-service.js';
import { SetSyncEnabled } from '../application/set-sync-enabled.js';
import { SetWorkingWindow } from '../application/set-working-window.js';
import { StartAutoSync } from '../application/start-auto-sync.js';
import { StopAutoSync } from '../application/stop-auto-sync.js';
import { TriggerSync } from '../application/trigger-sync.js';
import { UpdateInterval } from '../application/update-interval.js';
import type { Config } from '../config.js';
import { hasBudget, type BudgetLimits } from '../application/release-plan.js';
import { RELEASE_LEDGER, type ReleaseLedger } from '../domain/ports/release-ledger.js';
import { AGENT_REGISTRY, type AgentRegistry } from '../domain/ports/agent-registry.js';
import { AGENT_STATE_STORE, type AgentStateStore } from '../domain/ports/agent-state-store.js';
import { AUDIT_LOG, type AuditLog } from '../domain/ports/audit-log.js';
import { CLOCK, type Clock } from '../domain/ports/clock.js';
import { JOB_QUEUE, type JobQueue } from '../domain/ports/job-queue.js';
import { LEADER_ELECTION, type LeaderElection } from '../domain/ports/leader-election.js';
import { QUEUE_INSPECTOR, type QueueInspector } from '../domain/ports/queue-inspector.js';
import { RUN_LOG, type RunLog } from '../domain/ports/run-log.js';
import { SETTINGS_FEED, type SettingsFeed } from '../domain/ports/settings-feed.js';
import { SETTINGS_STORE, type SettingsStore } from '../domain/ports/settings-store.js';
import { SYNC_HISTORY, type SyncHistory } from '../domain/ports/sync-history.js';
import { TICK_OBSERVER, type TickObserver } from '../domain/ports/tick-observer.js';
import {
  BOOT_ORDER,
  PROCESS_COMPONENT,
  type LeadershipFollower,
  type ProcessComponent,
} from '../lifecycle.js';
import * as T from '../tokens.js';

/** How often the breaker gauges are read from the shared store. */
const BREAKER_GAUGES_EVERY_MS = 15_000;
/** The leader trims the sync history this often. */
const PRUNE_EVERY_MS = 10 * 60_000;
/** Shutdown must finish within 5 s: a tick stuck on an unreachable Redis is not waited for. */
export const DRAIN_TIMEOUT_MS = 2_000;

const multiple = <S extends symbol>(serviceIdentifier: S) =>
  ({ serviceIdentifier, isMultiple: true, optional: true }) as const;

/**
 * The use cases, the scheduling service and the process steps that drive them, over whatever
 * adapters the other modules bind (PostgreSQL and Redis, or the in-memory ones in tests).
 */
export const applicationModule = (config: Config) =>
  new ContainerModule(({ bind }) => {
    bind(T.SCHEDULER).toResolvedValue(
      (
        clock: Clock,
        queue: JobQueue,
        agents: AgentRegistry,
        runLog: RunLog,
        observer: TickObserver,
        agentState: AgentStateStore | undefined,
        history: SyncHistory,
        inspector: QueueInspector,
        ledger: ReleaseLedger,
      ) =>
        new SchedulingService({
          clock,
          queue,
          agents,
          runLog,
          observer,
          history,
          ...(agentState ? { agentState } : {}),
          ...(config.erpBreakerRules ? { erpProbeSize: config.erpBreakerRules.probeSize } : {}),
          spreadMode: config.spreadMode,
          minuteMs: config.minuteMs,
          tierRules: config.tierRules,
          budget: { limits: budgetLimits(config), inspector, ledger },
        }),
      [
        CLOCK,
        JOB_QUEUE,
        AGENT_REGISTRY,
        RUN_LOG,
        TICK_OBSERVER,
        { serviceIdentifier: AGENT_STATE_STORE, optional: true },
        SYNC_HISTORY,
        QUEUE_INSPECTOR,
        RELEASE_LEDGER,
      ],
    );
    bind(T.FOLLOW_DESIRED_STATE).toResolvedValue(
      (
        scheduler: SchedulingService,
        settings: SettingsStore,
        feed: SettingsFeed,
        clock: Clock,
        logger: Logger,
      ) =>
        new FollowDesiredState(scheduler, settings, feed, clock, {
          resyncMs: config.settingsResyncMs,
          onError: (error) =>
            logger.warn(
              { err: error },
              `desired state could not be reloaded (${errorMessage(error)}); will retry`,
            ),
        }),
      [T.SCHEDULER, SETTINGS_STORE, SETTINGS_FEED, CLOCK, T.LOGGER],
    );
    bind(T.USE_CASES).toResolvedValue(
      (
        scheduler: SchedulingService,
        settings: SettingsStore,
        agents: AgentRegistry,
        queue: JobQueue,
        inspector: QueueInspector,
        runLog: RunLog,
        history: SyncHistory,
        leadership: LeaderElection,
        clock: Clock,
        agentState: AgentStateStore | undefined,
        logger: Logger,
        ledger: ReleaseLedger,
        auditLog: AuditLog,
      ): SyncUseCases => ({
        startAutoSync: new StartAutoSync(scheduler, settings),
        stopAutoSync: new StopAutoSync(scheduler, settings),
        getAutoSyncStatus: new GetAutoSyncStatus(scheduler),
        getIntervals: new GetIntervals(scheduler),
        updateInterval: new UpdateInterval(scheduler, settings),
        setSyncEnabled: new SetSyncEnabled(scheduler, settings),
        getTypeSettings: new GetTypeSettings(scheduler),
        setWorkingWindow: new SetWorkingWindow(scheduler, settings),
        clearWorkingWindow: new ClearWorkingWindow(scheduler, settings),
        triggerSync: new TriggerSync(agents, queue, clock, {
          ...(agentState ? { agentState } : {}),
          ...(config.erpBreakerRules ? { erpProbeSize: config.erpBreakerRules.probeSize } : {}),
          onBreakerReadFailed: (error) =>
            logger.warn(
              { err: error },
              `trigger: the per-agent state could not be read or written (${errorMessage(error)})`,
            ),
          onBypass: (type, userId) =>
            logger.info(
              { event: 'breaker_bypassed', type, userId },
              `trigger ${type}/${userId}: sent although its breaker is open (an operator's trigger for one agent)`,
            ),
          ...(hasBudget(budgetLimits(config)) ? { budget: { ledger } } : {}),
          auditLog: {
            log: auditLog,
            onFailed: (error, { type, userId, audit }) =>
              logger.error(
                { err: error, event: 'audit_failed', type, userId, ...audit },
                `trigger ${String(type)}: the jobs went out but the audit trail could not record it (${errorMessage(error)})`,
              ),
          },
        }),
        listAudit: new ListAudit(auditLog),
        getMonitoringStatus: new GetMonitoringStatus(
          scheduler,
          inspector,
          runLog,
          history,
          leadership,
          clock,
          agentState,
          { agents, rules: config.tierRules },
        ),
      }),
      [
        T.SCHEDULER,
        SETTINGS_STORE,
        AGENT_REGISTRY,
        JOB_QUEUE,
        QUEUE_INSPECTOR,
        RUN_LOG,
        SYNC_HISTORY,
        LEADER_ELECTION,
        CLOCK,
        { serviceIdentifier: AGENT_STATE_STORE, optional: true },
        T.LOGGER,
        RELEASE_LEDGER,
        AUDIT_LOG,
      ],
    );
    // Until an adapter family binds the AgentStateStore this resolves to undefined, and the
    // HTTP app leaves the agent routes out rather than failing to resolve.
    bind(T.AGENT_USE_CASES).toResolvedValue(
      (
        store: AgentStateStore | undefined,
        scheduler: SchedulingService,
        clock: Clock,
      ): AgentUseCases | undefined =>
        store && {
          listAgents: new ListAgents(store, scheduler, clock),
          getAgent: new GetAgent(store),
          resetAgent: new ResetAgent(store),
          getErpBreaker: new GetErpBreaker(store),
        },
      [{ serviceIdentifier: AGENT_STATE_STORE, optional: true }, T.SCHEDULER, CLOCK],
    );
    bind(T.CHART_USE_CASES).toResolvedValue(
      (scheduler: SchedulingService, history: SyncHistory, clock: Clock): ChartUseCases => ({
        getCharts: new GetCharts(scheduler, history, clock, budgetLimits(config)),
        getAgentOutcomes: new GetAgentOutcomes(history),
      }),
      [T.SCHEDULER, SYNC_HISTORY, CLOCK],
    );

    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (probes: DependencyProbe[], logger: Logger): ProcessComponent => ({
        name: 'dependencies',
        order: BOOT_ORDER.dependencies,
        start: (signal) => waitForDependencies(probes, logger, { signal }),
      }),
      [multiple(T.DEPENDENCY_PROBE), T.LOGGER],
    );

    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (follow: FollowDesiredState, scheduler: SchedulingService, logger: Logger) => ({
        name: 'desired state',
        order: BOOT_ORDER.desiredState,
        start: async () => {
          await follow.execute();
          const intervals = scheduler.getDetailedIntervals();
          const running = scheduler.isRunning();
          logger.info(
            { step: 'scheduler', running, intervals, enabled: scheduler.getEnabled() },
            running
              ? `scheduler started with intervals (minutes) ${JSON.stringify(intervals)}; ticks begin once this replica leads`
              : 'auto-sync is stopped (an operator stopped it); POST /api/sync/auto-sync/start resumes it',
          );
        },
        stop: async () => follow.stop(),
      }),
      [T.FOLLOW_DESIRED_STATE, T.SCHEDULER, T.LOGGER],
    );

    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (scheduler: SchedulingService, onDrainTimeout: (() => void)[], logger: Logger) => ({
        name: 'scheduling',
        order: BOOT_ORDER.scheduling,
        stop: async () => {
          scheduler.close();
          const drained = await Promise.race([
            scheduler.drain().then(() => true),
            new Promise<false>((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS, false).unref()),
          ]);
          if (drained) return;
          logger.warn('shutdown: a tick was still in flight; closing without it');
          for (const cut of onDrainTimeout) cut();
        },
      }),
      [T.SCHEDULER, multiple(T.ON_DRAIN_TIMEOUT), T.LOGGER],
    );

    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (
        election: LeaderElection,
        scheduler: SchedulingService,
        followers: LeadershipFollower[],
        metrics: Metrics,
        logger: Logger,
      ) => ({
        name: 'leadership',
        order: BOOT_ORDER.leadership,
        start: async (signal) => {
          if (signal.aborted) return;
          election.start((isLeader) => {
            // Logged and applied in the order the election reports, synchronously: the
            // scheduler steps down before anything else runs.
            const lease = isLeader ? election.currentLease() : null;
            metrics.leader.set(lease ? 1 : 0);
            logger.info(
              {
                event: 'leadership',
                isLeader: lease !== null,
                replicaId: election.replicaId,
                term: lease?.term,
              },
              lease
                ? `this replica now leads (term ${lease.term}): it schedules the syncs`
                : 'this replica does not lead: it stopped scheduling',
            );
            void scheduler.setLeader(lease);
            for (const follower of followers) follower.onLeadership(lease !== null);
          });
        },
        stop: () => election.stop(),
      }),
      [LEADER_ELECTION, T.SCHEDULER, multiple(T.LEADERSHIP_FOLLOWER), T.METRICS, T.LOGGER],
    );

    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (
        clock: Clock,
        agentState: AgentStateStore | undefined,
        metrics: Metrics,
      ): ProcessComponent => {
        let cancel: (() => void) | undefined;
        // Gauges any replica can serve: read from the shared store, not from the leader's memory.
        let refreshing = false;
        const refresh = async (): Promise<void> => {
          // Never two at once: on a slow database refreshes must not pile up in the pool.
          if (!agentState || refreshing) return;
          refreshing = true;
          try {
            const [open, erp] = await Promise.all([
              agentState.openCounts(),
              agentState.loadErpBreaker(),
            ]);
            for (const [type, count] of Object.entries(open))
              metrics.openPairBreakers.set({ type }, count);
            metrics.breakerState.set({ scope: 'erp' }, BREAKER_LEVEL[erp.state]);
          } catch {
            // The next refresh tries again; /readyz already reports an unreachable database.
          } finally {
            refreshing = false;
          }
        };
        return {
          name: 'breaker gauges',
          order: BOOT_ORDER.housekeeping,
          start: async (signal) => {
            if (signal.aborted || !agentState) return;
            await refresh();
            cancel = clock.every(BREAKER_GAUGES_EVERY_MS, () => void refresh());
          },
          stop: async () => cancel?.(),
        };
      },
      [CLOCK, { serviceIdentifier: AGENT_STATE_STORE, optional: true }, T.METRICS],
    );

    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (clock: Clock, election: LeaderElection, history: SyncHistory, logger: Logger) => {
        let cancel: (() => void) | undefined;
        const prune = async (): Promise<void> => {
          if (!election.isLeader()) return;
          try {
            const removed = await history.prune();
            if (removed > 0) logger.info({ removed }, `sync history: pruned ${removed} old events`);
          } catch (error) {
            logger.warn({ err: error }, `sync history could not be pruned: ${errorMessage(error)}`);
          }
        };
        return {
          name: 'history pruning',
          order: BOOT_ORDER.housekeeping,
          start: async (signal) => {
            if (!signal.aborted) cancel = clock.every(PRUNE_EVERY_MS, () => void prune());
          },
          stop: async () => cancel?.(),
        };
      },
      [CLOCK, LEADER_ELECTION, SYNC_HISTORY, T.LOGGER],
    );
  });

const budgetLimits = (config: Config): BudgetLimits => ({
  maxInFlight: config.erpMaxInFlight,
  maxPerMinute: config.erpMaxPerMinute,
});
