import { invalidInput, notFound } from '../domain/errors.js';
import type { AgentRegistry } from '../domain/ports/agent-registry.js';
import type { Clock } from '../domain/ports/clock.js';
import type { JobQueue } from '../domain/ports/job-queue.js';
import { buildSyncJobs } from '../domain/sync-jobs.js';
import { isSharedType, parseSyncType, type SyncType } from '../domain/sync-types.js';

export interface TriggerSyncCommand {
  readonly type: unknown;
  /** Only this agent; absent means every whitelisted agent (or the shared job). */
  readonly userId?: string | undefined;
}

export interface TriggerSyncResult {
  readonly type: SyncType;
  readonly enqueued: number;
  readonly deduplicated: number;
}

/** Enqueues a type now, outside its schedule; the schedule itself is not moved. */
export class TriggerSync {
  constructor(
    private readonly agents: AgentRegistry,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
  ) {}

  async execute(command: TriggerSyncCommand): Promise<TriggerSyncResult> {
    const type = parseSyncType(command.type);
    const agentIds = await this.agentIdsFor(type, command.userId);
    const jobs = buildSyncJobs(type, agentIds, this.clock.now());
    const result =
      jobs.length > 0 ? await this.queue.enqueue(jobs) : { added: 0, deduplicated: 0, fenced: 0 };
    return { type, enqueued: result.added, deduplicated: result.deduplicated };
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
