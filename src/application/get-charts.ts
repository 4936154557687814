import { chartWindow } from '../domain/chart-slots.js';
import { invalidInput } from '../domain/errors.js';
import type { Clock } from '../domain/ports/clock.js';
import type { ChartSlot, SyncHistory } from '../domain/ports/sync-history.js';
import { parseSyncType, type SyncType } from '../domain/sync-types.js';
import type { BudgetLimits } from './release-plan.js';
import type { TypeSchedule } from './scheduling-service.js';

export const MIN_CHART_HOURS = 1;
export const MAX_CHART_HOURS = 168;
export const DEFAULT_CHART_HOURS = 24;
const HOUR_MS = 3_600_000;

/** What the chart needs of the scheduler: the type's interval in its current desired state. */
export interface ChartSchedules {
  scheduleOf(type: SyncType): Pick<TypeSchedule, 'intervalMinutes' | 'periodMs'>;
}

export interface TypeChart {
  readonly type: SyncType;
  readonly hours: number;
  readonly intervalMinutes: number;
  readonly slotMs: number;
  /** Epoch ms: the first slot's start, and now (inside the last slot). */
  readonly from: number;
  readonly to: number;
  /** The most the release budget lets out per slot (ERP_MAX_PER_MINUTE); null without one. */
  readonly budgetPerSlot: number | null;
  /** ERP_MAX_IN_FLIGHT: a bound on the queue, not per slot; null without one. */
  readonly maxInFlight: number | null;
  /** Before this, retention may have removed outcomes or decisions: slots there can read low. */
  readonly historyFrom: number | null;
  readonly slots: readonly ChartSlot[];
}

function validHours(raw: unknown): number {
  const hours = raw ?? DEFAULT_CHART_HOURS;
  const valid = Number.isInteger(hours) && (hours as number) >= MIN_CHART_HOURS;
  if (valid && (hours as number) <= MAX_CHART_HOURS) return hours as number;
  throw invalidInput(
    'hours',
    `must be a whole number between ${MIN_CHART_HOURS} and ${MAX_CHART_HOURS}`,
  );
}

/**
 * One type's last hours for the dashboard's chart: per slot, the jobs released and what became
 * of them, beside what the ticks held back and why. A slot is one interval of the type (so it
 * holds one tick, and its budget is one interval's), or a whole number of intervals when the
 * range would need more than MAX_CHART_SLOTS.
 */
export class GetCharts {
  constructor(
    private readonly schedules: ChartSchedules,
    private readonly history: SyncHistory,
    private readonly clock: Clock,
    private readonly budget: BudgetLimits = {},
  ) {}

  async execute(rawType: unknown, rawHours?: unknown): Promise<TypeChart> {
    const type = parseSyncType(rawType);
    const hours = validHours(rawHours);
    const { intervalMinutes, periodMs } = this.schedules.scheduleOf(type);
    const { from, to, slotMs } = chartWindow(this.clock.now(), hours * HOUR_MS, periodMs);
    const { slots, historyFrom } = await this.history.chartSlots(type, from, to, slotMs);
    const { maxPerMinute, maxInFlight } = this.budget;
    // The budget's minute is the scheduler's (periodMs / intervalMinutes), like the interval.
    const minutesPerSlot = (intervalMinutes * slotMs) / periodMs;
    return {
      type,
      hours,
      intervalMinutes,
      slotMs,
      from,
      to,
      budgetPerSlot: maxPerMinute === undefined ? null : maxPerMinute * minutesPerSlot,
      maxInFlight: maxInFlight ?? null,
      historyFrom,
      slots,
    };
  }
}
