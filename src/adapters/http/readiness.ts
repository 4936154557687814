import { withTimeout } from '../with-timeout.js';

/** One dependency the service needs to do its work (PostgreSQL, Redis); rejects when down. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}

export type ProbeState = 'ok' | 'unreachable';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, ProbeState>>;
  readonly failed: readonly string[];
}

/** A hung dependency must answer "not ready" quickly, not hold the orchestrator's probe. */
export const PROBE_TIMEOUT_MS = 1000;

async function stateOf(probe: ReadinessProbe, timeoutMs: number): Promise<ProbeState> {
  try {
    // Promise.resolve().then: a probe that throws synchronously is still just "unreachable".
    await withTimeout(
      Promise.resolve().then(() => probe.check()),
      timeoutMs,
      probe.name,
    );
    return 'ok';
  } catch {
    return 'unreachable';
  }
}

/** Runs every probe in parallel; ready only when all of them answer in time. */
export async function checkReadiness(
  probes: readonly ReadinessProbe[],
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<Readiness> {
  const states = await Promise.all(probes.map((probe) => stateOf(probe, timeoutMs)));
  const checks: Record<string, ProbeState> = {};
  probes.forEach((probe, i) => (checks[probe.name] = states[i] ?? 'unreachable'));
  const failed = probes.filter((probe) => checks[probe.name] !== 'ok').map((p) => p.name);
  return { ready: failed.length === 0, checks, failed };
}
