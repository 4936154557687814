import { erpDecision } from '../domain/breaker-rules.js';
import type { AgentStateStore } from '../domain/ports/agent-state-store.js';
import type { SyncJob } from '../domain/ports/job-queue.js';
import type { SyncType } from '../domain/sync-types.js';

export interface GatedJobs {
  /** What may be enqueued now. */
  readonly send: SyncJob[];
  /** Jobs held back by an open breaker (the pair's or the ERP's): `skipped_breaker`. */
  readonly skipped: number;
  /** Agents whose pair breaker's open period passed: this send is their one probe. */
  readonly probes: readonly string[];
  /** The ERP breaker let only a probe batch through. */
  readonly erpProbe: boolean;
}

export interface GateOptions {
  /** Agents in an ERP probe batch. */
  readonly erpProbeSize: number;
  /** Honour the pair breakers (false: an operator's trigger for one agent bypasses them). */
  readonly pairBreakers: boolean;
  /** The breaker state could not be read: the jobs go anyway (a database outage is not the ERP's). */
  readonly onReadFailed: (error: unknown) => void;
}

/**
 * Which of a batch's jobs the breakers let through: none while the ERP breaker is open, a
 * small probe batch once its cool-down passed (claimed atomically, so one tick sends it), and
 * no pair whose breaker is open; a pair whose open period passed goes as its probe.
 */
export async function gateJobs(
  store: AgentStateStore,
  type: SyncType,
  jobs: SyncJob[],
  now: number,
  options: GateOptions,
): Promise<GatedJobs> {
  const all: GatedJobs = { send: jobs, skipped: 0, probes: [], erpProbe: false };
  if (jobs.length === 0) return all;
  let candidates = jobs;
  let erpProbe = false;
  try {
    const decision = erpDecision(await store.loadErpBreaker(), now);
    if (decision === 'none') return { send: [], skipped: jobs.length, probes: [], erpProbe };
    if (decision === 'probe') {
      const probe = jobs.slice(0, options.erpProbeSize);
      if (!(await store.startErpProbe(now, probe.length))) {
        return { send: [], skipped: jobs.length, probes: [], erpProbe };
      }
      candidates = probe;
      erpProbe = true;
    }
    if (!options.pairBreakers) {
      return { send: candidates, skipped: jobs.length - candidates.length, probes: [], erpProbe };
    }
    const { open, probe } = await store.blockedPairs(type, now);
    const send = candidates.filter((job) => !open.has(job.userId));
    return {
      send,
      skipped: jobs.length - send.length,
      probes: send.filter((job) => probe.has(job.userId)).map((job) => job.userId),
      erpProbe,
    };
  } catch (error) {
    options.onReadFailed(error);
    return all;
  }
}
