import type { Logger } from './observability/logger.js';
import { errorMessage } from './error-message.js';
import type { DependencyProbe } from './probes.js';

export interface WaitOptions {
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Stops waiting (e.g. on SIGTERM during boot). */
  readonly signal?: AbortSignal;
}

/**
 * Retries each probe with capped exponential backoff until it answers, logging every failed
 * attempt with the dependency's name, instead of crashing when a dependency is late.
 */
export async function waitForDependencies(
  probes: readonly DependencyProbe[],
  logger: Logger,
  options: WaitOptions = {},
): Promise<void> {
  const { initialDelayMs = 500, maxDelayMs = 10_000, signal } = options;
  await Promise.all(
    probes.map(async (probe) => {
      for (let attempt = 1, delay = initialDelayMs; ; attempt++) {
        signal?.throwIfAborted();
        try {
          await probe.check(2000);
          logger.info({ dependency: probe.name, attempt }, `${probe.name} is reachable`);
          return;
        } catch (error) {
          logger.warn(
            { dependency: probe.name, attempt, retryInMs: delay },
            `${probe.name} is not reachable yet (attempt ${attempt}: ${errorMessage(error)}); retrying in ${delay} ms`,
          );
        }
        await sleep(delay, signal);
        delay = Math.min(delay * 2, maxDelayMs);
      }
    }),
  );
}

/** Removes its abort listener when the timer fires: one signal outlives many sleeps. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
