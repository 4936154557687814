import { ContainerModule } from 'inversify';
import { AGENT_REGISTRY } from '../../domain/ports/agent-registry.js';
import { AGENT_STATE_STORE, type AgentStateStore } from '../../domain/ports/agent-state-store.js';
import { AUDIT_LOG } from '../../domain/ports/audit-log.js';
import { CLOCK } from '../../domain/ports/clock.js';
import { JOB_QUEUE } from '../../domain/ports/job-queue.js';
import { LEADER_ELECTION } from '../../domain/ports/leader-election.js';
import { QUEUE_INSPECTOR } from '../../domain/ports/queue-inspector.js';
import { RELEASE_LEDGER } from '../../domain/ports/release-ledger.js';
import { RUN_LOG } from '../../domain/ports/run-log.js';
import { SETTINGS_FEED } from '../../domain/ports/settings-feed.js';
import { SETTINGS_STORE } from '../../domain/ports/settings-store.js';
import { SYNC_HISTORY } from '../../domain/ports/sync-history.js';
import type { InMemoryAgentRegistry } from './in-memory-agent-registry.js';
import type { InMemoryAuditLog } from './in-memory-audit-log.js';
import { InMemoryReleaseLedger } from './in-memory-release-ledger.js';
import type { InMemoryJobQueue } from './in-memory-job-queue.js';
import type { InMemoryLeaderElection } from './in-memory-leader-election.js';
import type { InMemoryRunLog } from './in-memory-run-log.js';
import type { InMemorySettingsStore } from './in-memory-settings-store.js';
import type { InMemorySyncHistory } from './in-memory-sync-history.js';
import type { ManualClock } from './manual-clock.js';

export interface InMemoryAdapters {
  readonly clock: ManualClock;
  readonly settings: InMemorySettingsStore;
  readonly agents: InMemoryAgentRegistry;
  readonly queue: InMemoryJobQueue;
  readonly runLog: InMemoryRunLog;
  readonly history: InMemorySyncHistory;
  readonly leadership: InMemoryLeaderElection;
  /** Optional until the in-memory AgentStateStore lands: without it the agent routes are off. */
  readonly agentState?: AgentStateStore;
  /** The release budget's ledger; a fresh one when absent. */
  readonly ledger?: InMemoryReleaseLedger;
  /**
   * The audit trail GET /audit lists; by default the settings store's own. Give the stores
   * one shared log (their constructors take it) for the list to see every store's entries.
   */
  readonly auditLog?: InMemoryAuditLog;
}

/**
 * Every port on the in-memory adapters the caller built (so a test keeps them in reach):
 * loaded with the application module, it is the real wiring without PostgreSQL or Redis.
 */
export const inMemoryModule = (adapters: InMemoryAdapters) =>
  new ContainerModule(({ bind }) => {
    bind(CLOCK).toConstantValue(adapters.clock);
    bind(SETTINGS_STORE).toConstantValue(adapters.settings);
    bind(SETTINGS_FEED).toConstantValue(adapters.settings);
    bind(AGENT_REGISTRY).toConstantValue(adapters.agents);
    bind(JOB_QUEUE).toConstantValue(adapters.queue);
    bind(QUEUE_INSPECTOR).toConstantValue(adapters.queue);
    bind(RUN_LOG).toConstantValue(adapters.runLog);
    bind(SYNC_HISTORY).toConstantValue(adapters.history);
    bind(LEADER_ELECTION).toConstantValue(adapters.leadership);
    if (adapters.agentState) bind(AGENT_STATE_STORE).toConstantValue(adapters.agentState);
    bind(RELEASE_LEDGER).toConstantValue(adapters.ledger ?? new InMemoryReleaseLedger());
    bind(AUDIT_LOG).toConstantValue(adapters.auditLog ?? adapters.settings.auditLog);
  });
