import { DateTime, IANAZone } from 'luxon';
import { invalidInput } from './errors.js';
import { MS_PER_MINUTE } from './interval.js';

/**
 * A type's working hours: ticks outside them enqueue nothing (`skipped_window`), and the first
 * tick inside releases what fell due. Wall-clock times in an IANA time zone, DST-safe.
 */
export interface WorkingWindow {
  /** "HH:MM", 24-hour, local to `timeZone`. */
  readonly from: string;
  /** "HH:MM"; earlier than `from` means the window crosses midnight (ends the next day). */
  readonly to: string;
  /** ISO weekdays the window opens on (1 = Monday … 7 = Sunday), ascending, no repeats. */
  readonly days: readonly number[];
  /** An IANA zone name, e.g. "Europe/Rome". */
  readonly timeZone: string;
}

const FIELDS = ['from', 'to', 'days', 'timeZone'];
const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** "UTC+2", "GMT-05:00", "+02:00": fixed offsets ignore daylight saving time. */
const FIXED_OFFSET = /^(?:[+-]|(?:UTC|GMT)\s*[+-])/i;
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * A working window as stored and sent by the admin API, checked field by field: from and to
 * "HH:MM" (00:00..23:59) and different, days a non-empty set of ISO weekdays (returned
 * sorted), timeZone an IANA zone ("UTC" and "Etc/GMT-2" included, "UTC+2" refused). Unknown
 * keys are refused, so a typo ("timezone") cannot silently mean "no zone".
 */
export function validateWorkingWindow(value: unknown, field = 'window'): WorkingWindow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput(field, 'must be an object with from, to, days and timeZone');
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) {
    throw invalidInput(`${field}.${unknown}`, 'is not a field of a working window');
  }
  const from = clockTime(record.from, `${field}.from`);
  const to = clockTime(record.to, `${field}.to`);
  if (from === to) throw invalidInput(`${field}.to`, `must differ from ${field}.from`);
  return {
    from,
    to,
    days: weekdays(record.days, `${field}.days`),
    timeZone: timeZone(record.timeZone, `${field}.timeZone`),
  };
}

function clockTime(value: unknown, field: string): string {
  if (typeof value !== 'string' || !CLOCK_TIME.test(value)) {
    throw invalidInput(field, 'must be a time "HH:MM" between 00:00 and 23:59');
  }
  return value;
}

function weekdays(value: unknown, field: string): number[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidInput(field, 'must be a non-empty list of weekdays');
  }
  if (!value.every((day) => Number.isInteger(day) && day >= 1 && day <= 7)) {
    throw invalidInput(field, 'must hold whole numbers from 1 (Monday) to 7 (Sunday)');
  }
  const days = value as number[];
  if (new Set(days).size !== days.length) throw invalidInput(field, 'must not repeat a day');
  return days.toSorted((a, b) => a - b);
}

function timeZone(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidInput(field, 'must be an IANA time zone name such as "Europe/Rome"');
  }
  if (FIXED_OFFSET.test(value)) {
    throw invalidInput(
      field,
      'must be an IANA time zone name, not a fixed offset (it would ignore daylight saving time)',
    );
  }
  if (!IANAZone.isValidZone(value)) throw invalidInput(field, 'is not a known IANA time zone');
  return value;
}

/**
 * Whether `window` is open at `epochMs`. The window opens on each of its days at `from`
 * (inclusive) and closes at `to` (exclusive), the same day, or the next day when `to` is
 * earlier than `from`: `22:00–06:00` on Friday is open Friday 22:00 → Saturday 06:00 and not on
 * Saturday night.
 *
 * Daylight saving time, one rule for both changes: a bound is the first instant at which the
 * local clock shows that time or later. A bound inside the spring-forward gap is therefore the
 * instant the clock jumps (02:30 on the last Sunday of March in Europe/Rome is 03:00 CEST, and a
 * 02:00–03:00 window does not open that day); a bound inside the repeated autumn hour is its
 * first occurrence, and a clock reading it has passed once does not count again (02:00–03:00
 * lasts two real hours that day; 01:30–02:30 closes at the first 02:30 and does not reopen when
 * the clock goes back to 02:00). Each window is one unbroken stretch of time.
 *
 * Time scale: with `minuteMs` ≠ 60 000 (SCHEDULER_MINUTE_MS, tests and soaks) the wall clock
 * is virtual: the window is evaluated at `epochMs × 60 000 / minuteMs`, so with minuteMs = 100
 * a virtual day lasts 144 s. An instant past the year 3000 is moved back by whole 400-year
 * Gregorian cycles (same weekdays, same daylight-saving rules), which keeps very fast scales
 * inside the range of a Date without changing any answer.
 *
 * `window` must have passed validateWorkingWindow (an unknown zone reads as always closed).
 */
export function isWindowOpen(
  window: WorkingWindow,
  epochMs: number,
  minuteMs = MS_PER_MINUTE,
): boolean {
  const at = virtualInstant(epochMs, minuteMs);
  const local = DateTime.fromMillis(at, { zone: window.timeZone });
  if (!local.isValid) return false;
  const today = DateTime.utc(local.year, local.month, local.day);
  const overnight = window.to < window.from;
  // The instance that opened yesterday may still be open; around a clock change at midnight
  // the reading can also lag a day behind an instance that already opened.
  for (const shift of [-1, 0, 1]) {
    const day = today.plus({ days: shift });
    if (!window.days.includes(day.weekday)) continue;
    const opens = firstInstantShowing(window.timeZone, day, window.from);
    const closes = firstInstantShowing(
      window.timeZone,
      overnight ? day.plus({ days: 1 }) : day,
      window.to,
    );
    if (opens <= at && at < closes) return true;
  }
  return false;
}

/** Jan 1st 3000 UTC, and 400 Gregorian years (146 097 days, a whole number of weeks). */
const FOLD_FROM = Date.UTC(3000, 0, 1);
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;

function virtualInstant(epochMs: number, minuteMs: number): number {
  const at =
    minuteMs === MS_PER_MINUTE ? epochMs : Math.floor(epochMs * (MS_PER_MINUTE / minuteMs));
  return at < FOLD_FROM ? at : FOLD_FROM + ((at - FOLD_FROM) % GREGORIAN_CYCLE_MS);
}

/** The local clock reading of an instant, as the UTC instant with the same reading. */
const reading = (instant: DateTime): number =>
  instant.setZone('utc', { keepLocalTime: true }).toMillis();

/**
 * Bounds already computed, by zone, date and time: ticks ask about the same few bounds over
 * and over, and each costs several Intl look-ups. Deterministic, so a plain bounded memo.
 */
const bounds = new Map<string, number>();
const MAX_BOUNDS = 4096;

/** The first instant at which the clock of `zone` shows `time` ("HH:MM") of `day` or later. */
function firstInstantShowing(zone: string, day: DateTime, time: string): number {
  const key = `${zone} ${day.toMillis()} ${time}`;
  let instant = bounds.get(key);
  if (instant === undefined) {
    if (bounds.size >= MAX_BOUNDS) bounds.clear();
    instant = computeFirstInstantShowing(zone, day, time);
    bounds.set(key, instant);
  }
  return instant;
}

function computeFirstInstantShowing(zone: string, day: DateTime, time: string): number {
  const [hour, minute] = time.split(':').map(Number);
  const wanted = day.set({ hour, minute });
  const local = DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour, minute },
    { zone },
  );
  if (reading(local) === wanted.toMillis()) {
    // Shown twice when the clock goes back: luxon picks one, the first is the earlier.
    return Math.min(local.toMillis(), ...local.getPossibleOffsets().map((dt) => dt.toMillis()));
  }
  // Inside a gap: luxon moved the time forward by the gap's length, so the clock jumped
  // somewhere in (local - gap, local]. Find the jump (the clock reads earlier before it).
  let before = local.toMillis() - (reading(local) - wanted.toMillis());
  let after = local.toMillis();
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (reading(DateTime.fromMillis(middle, { zone })) >= wanted.toMillis()) after = middle;
    else before = middle;
  }
  return after;
}

/** "Mon–Fri 07:00–20:00 Europe/Rome", "Fri 22:00–06:00 (next day) Europe/Rome", for logs. */
export function describeWindow(window: WorkingWindow): string {
  const nextDay = window.to < window.from ? ' (next day)' : '';
  return `${describeDays(window.days)} ${window.from}–${window.to}${nextDay} ${window.timeZone}`;
}

/** Runs of three or more consecutive days collapse: [1,2,3,5,6] → "Mon–Wed, Fri, Sat". */
function describeDays(days: readonly number[]): string {
  const runs: number[][] = [];
  for (const day of days.toSorted((a, b) => a - b)) {
    const run = runs.at(-1);
    if (run && run.at(-1) === day - 1) run.push(day);
    else runs.push([day]);
  }
  const name = (day: number): string => DAY_NAMES[day - 1] ?? String(day);
  return runs
    .flatMap((run) =>
      run.length >= 3 ? [`${name(run[0] ?? 0)}–${name(run.at(-1) ?? 0)}`] : run.map(name),
    )
    .join(', ');
}
