/** The dashboard's charts draw at most this many slots, whatever the range. */
export const MAX_CHART_SLOTS = 300;

export interface ChartWindow {
  /** Epoch ms: the first slot's start, a multiple of `slotMs`. */
  readonly from: number;
  /** Epoch ms: the end of the range (now); the last slot is the one holding it. */
  readonly to: number;
  readonly slotMs: number;
}

/**
 * The slots of a chart of the `rangeMs` before `now`: one interval each (`periodMs`, so that a
 * slot holds one tick and its budget is the budget of one interval), or a whole number of
 * intervals when that would make more than MAX_CHART_SLOTS. Slots are aligned to multiples of
 * their size, so they stay put from one refresh to the next; the first holds `now - rangeMs`.
 */
export function chartWindow(now: number, rangeMs: number, periodMs: number): ChartWindow {
  // The first slot may start before the range and the last end after now: room for both.
  const intervalsPerSlot = Math.max(1, Math.ceil(rangeMs / (periodMs * (MAX_CHART_SLOTS - 1))));
  const slotMs = periodMs * intervalsPerSlot;
  return { from: Math.floor((now - rangeMs) / slotMs) * slotMs, to: now, slotMs };
}

/** Slots start at `from`, every `slotMs`, up to the one holding `to`; none when `to < from`. */
export function slotCount(from: number, to: number, slotMs: number): number {
  if (!(slotMs > 0)) throw new RangeError(`slotMs must be positive, got ${slotMs}`);
  return to < from ? 0 : Math.floor((to - from) / slotMs) + 1;
}

/**
 * The start of the scheduler minute (`minuteMs`) holding `at`: the bucket the chart counts
 * are kept in, aligned to multiples of it like the slots.
 */
export function bucketStart(at: number, minuteMs: number): number {
  return Math.floor(at / minuteMs) * minuteMs;
}

/**
 * The time before which retention may have removed counts: the age bound (`ageBound`), or
 * null when that is not after `from`: nothing within the range can be missing.
 */
export function historyFrom(from: number, ageBound: number): number | null {
  return ageBound > from ? ageBound : null;
}
