import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import type { DependencyProbe } from '../../../src/adapters/probes.js';
import { waitForDependencies } from '../../../src/adapters/wait-for-dependencies.js';

const silent = createLogger('silent');

/** Fails its first `failures` checks, then answers; counts the signal's abort listeners. */
function aProbe(failures: number, signal: AbortSignal, listenerCounts: number[]): DependencyProbe {
  let attempts = 0;
  return {
    name: 'postgres',
    check: async () => {
      listenerCounts.push(getEventListeners(signal, 'abort').length);
      if (++attempts <= failures) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    },
  };
}

describe('waitForDependencies', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): number => warnings.push(warning);

  afterEach(() => {
    process.off('warning', onWarning);
    warnings.length = 0;
  });

  it('leaves no abort listener behind after each retry, however many attempts it takes', async () => {
    process.on('warning', onWarning);
    const aborter = new AbortController();
    const counts: number[] = [];

    await waitForDependencies([aProbe(20, aborter.signal, counts)], silent, {
      initialDelayMs: 1,
      maxDelayMs: 1,
      signal: aborter.signal,
    });
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on next tick

    expect(counts).toHaveLength(21);
    expect(Math.max(...counts)).toBe(0);
    expect(getEventListeners(aborter.signal, 'abort')).toHaveLength(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('stops waiting with the abort reason when aborted during a retry delay', async () => {
    const aborter = new AbortController();
    const reason = new Error('SIGTERM during boot');
    const waiting = waitForDependencies([aProbe(Infinity, aborter.signal, [])], silent, {
      initialDelayMs: 60_000,
      signal: aborter.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));

    aborter.abort(reason);

    await expect(waiting).rejects.toBe(reason);
    expect(getEventListeners(aborter.signal, 'abort')).toHaveLength(0);
  });
});
