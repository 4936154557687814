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
