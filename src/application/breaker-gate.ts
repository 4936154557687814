import type { ErpBreakerState } from '../domain/breakers.js';
import { erpDecision } from '../domain/breaker-rules.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';
import type { SyncJob } from '../domain/ports/job-queue.js';
import type { SyncType } from '../domain/sync-types.js';

/** What the breakers say about one type right now. */
export interface BreakerView {
  readonly erp: ErpBreakerState;
  /** Pairs not to send (open, or half open with their probe out). */
  readonly open: ReadonlySet<string>;
  /** Pairs whose open period passed: the next send is their probe. */
  readonly probe: ReadonlySet<string>;
}

export interface GatedJobs {
  /** What may be enqueued now. */
  readonly send: SyncJob[];
  /** Jobs held back by an open breaker (the pair's or the ERP's): `skipped_breaker`. */
  readonly skipped: number;
  /** Agents whose pair breaker's open period passed: this send is their one probe. */
  readonly probes: readonly string[];
  /** Agents sent although their pair breaker was open (`pairBreakers: false`). */
  readonly bypassed: readonly string[];
}

export interface GateOptions {
  /** Agents in an ERP probe batch. */
  readonly erpProbeSize: number;
  /** Honour the pair breakers (false: an operator's trigger for one agent bypasses them). */
  readonly pairBreakers: boolean;
}

export const UNGATED = (jobs: SyncJob[]): GatedJobs => ({
  send: jobs,
  skipped: 0,
  probes: [],
  bypassed: [],
});

/**
 * Both reads at once (one round trip on a slow database), and callers run it beside the
 * agent lookup. Null when the state cannot be read: the jobs then go (a database outage is
 * not the ERP's), and `onReadFailed` says so.
 */
export async function readBreakers(
  store: AgentStateStore,
  type: SyncType,
  now: number,
  onReadFailed: (error: unknown) => void,
): Promise<BreakerView | null> {
  try {
    const [erp, { open, probe }] = await Promise.all([
      store.loadErpBreaker(),
      store.blockedPairs(type, now),
    ]);
    return { erp, open, probe };
  } catch (error) {
    onReadFailed(error);
    return null;
  }
}

/**
 * Which of a batch's jobs the breakers let through: none while the ERP breaker is open, a
 * small probe batch once its cool-down passed (claimed atomically, so one tick sends it), and
 * no pair whose breaker is open; a pair whose open period passed goes as its probe.
 */
export async function gateJobs(
  store: AgentStateStore,
  view: BreakerView | null,
  jobs: SyncJob[],
  now: number,
  options: GateOptions,
): Promise<GatedJobs> {
  if (!view || jobs.length === 0) return UNGATED(jobs);
  const held = (send: SyncJob[]): GatedJobs => ({
    send,
    skipped: jobs.length - send.length,
    probes: [],
    bypassed: [],
  });
  let candidates = jobs;
  const decision = erpDecision(view.erp, now);
  if (decision === 'none') return held([]);
  if (decision === 'probe') {
    const probe = jobs.slice(0, options.erpProbeSize);
    if (!(await store.startErpProbe(now, probe.length))) return held([]);
    candidates = probe;
  }
  const blocked = (job: SyncJob): boolean =>
    view.open.has(job.userId) || view.probe.has(job.userId);
  if (!options.pairBreakers) {
    return {
      ...held(candidates),
      bypassed: candidates.filter(blocked).map((job) => job.userId),
    };
  }
  const send = candidates.filter((job) => !view.open.has(job.userId));
  return {
    ...held(send),
    probes: send.filter((job) => view.probe.has(job.userId)).map((job) => job.userId),
  };
}
