/**
 * When a type's first tick is due after its timer is (re)created: one period after its last
 * run, at once when overdue or never run. Restarts and handovers neither starve a type nor
 * fire every type together.
 */
export function firstTickDelayMs(
  lastRunAt: number | undefined,
  periodMs: number,
  now: number,
): number {
  return lastRunAt === undefined ? 0 : Math.max(0, lastRunAt + periodMs - now);
}
