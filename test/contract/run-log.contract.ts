import { describe, expect, it } from 'vitest';
import type { RunLog } from '../../src/domain/ports/run-log.js';

export interface RunLogFixture {
  readonly runLog: RunLog;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 11, 1, 9, 30, 0, 123);
const MINUTE = 60_000;

export interface RunLogContractOptions {
  /**
   * The log only ever raises a type's run (RedisRunLog, and NewestRunLog over it): an earlier
   * record after a later one is ignored instead of believed.
   */
  readonly raiseOnly?: boolean;
}

/** What every RunLog must do; `makeRunLog` hands out one with no run recorded. */
export function describeRunLogContract(
  name: string,
  makeRunLog: () => Promise<RunLogFixture>,
  { raiseOnly = false }: RunLogContractOptions = {},
): void {
  describe(name, () => {
    const withRunLog = async (test: (runLog: RunLog) => Promise<void>): Promise<void> => {
      const { runLog, cleanup } = await makeRunLog();
      try {
        await test(runLog);
      } finally {
        await cleanup();
      }
    };

    it('knows no run before any was recorded', () =>
      withRunLog(async (runLog) => {
        expect(await runLog.loadLastRuns()).toEqual({});
      }));

    it('reads back a recorded run to the millisecond', () =>
      withRunLog(async (runLog) => {
        await runLog.recordRun('orders', T0);
        expect(await runLog.loadLastRuns()).toEqual({ orders: T0 });
      }));

    it('keeps only the latest record of a type', () =>
      withRunLog(async (runLog) => {
        await runLog.recordRun('ddt', T0);
        await runLog.recordRun('ddt', T0 + 20 * MINUTE);
        expect(await runLog.loadLastRuns()).toEqual({ ddt: T0 + 20 * MINUTE });
      }));

    it('keeps each type apart', () =>
      withRunLog(async (runLog) => {
        await runLog.recordRun('products', T0);
        await runLog.recordRun('prices', T0 + MINUTE);
        await runLog.recordRun('products', T0 + 30 * MINUTE);
        expect(await runLog.loadLastRuns()).toEqual({
          products: T0 + 30 * MINUTE,
          prices: T0 + MINUTE,
        });
      }));

    if (raiseOnly) {
      it('keeps the later run when an earlier one is recorded after it (a late writer)', () =>
        withRunLog(async (runLog) => {
          await runLog.recordRun('invoices', T0 + 60 * MINUTE);
          await runLog.recordRun('invoices', T0);
          expect((await runLog.loadLastRuns()).invoices).toBe(T0 + 60 * MINUTE);
        }));
    } else {
      it('lets a later record move the time back (a corrected clock is believed)', () =>
        withRunLog(async (runLog) => {
          await runLog.recordRun('invoices', T0 + 60 * MINUTE);
          await runLog.recordRun('invoices', T0);
          expect((await runLog.loadLastRuns()).invoices).toBe(T0);
        }));
    }
  });
}
