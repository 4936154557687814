import { describe, expect, it } from 'vitest';
import {
  describeWindow,
  isWindowOpen,
  validateWorkingWindow,
  type WorkingWindow,
} from '../../../src/domain/working-hours.js';

const MINUTE = 60_000;
/** Instants are written in UTC so the expectations do not reuse the code's zone arithmetic. */
const utc = (iso: string): number => Date.parse(`${iso}Z`);

const window = (overrides: Partial<WorkingWindow> = {}): WorkingWindow => ({
  from: '07:00',
  to: '20:00',
  days: [1, 2, 3, 4, 5],
  timeZone: 'Europe/Rome',
  ...overrides,
});

/** [first, last] open instants (minute grid) and open minutes between two UTC instants. */
function openMinutes(w: WorkingWindow, fromIso: string, toIso: string) {
  const open: number[] = [];
  for (let at = utc(fromIso); at < utc(toIso); at += MINUTE) {
    if (isWindowOpen(w, at)) open.push(at);
  }
  const iso = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());
  return { minutes: open.length, first: iso(open[0]), last: iso(open.at(-1)) };
}

describe('validateWorkingWindow', () => {
  it('returns the window with its days sorted', () => {
    expect(validateWorkingWindow(window({ days: [5, 1, 3] }))).toEqual(window({ days: [1, 3, 5] }));
  });

  it('accepts UTC and the Etc zones, and a window crossing midnight', () => {
    for (const timeZone of ['UTC', 'Etc/UTC', 'Etc/GMT-2', 'Pacific/Auckland']) {
      expect(validateWorkingWindow(window({ timeZone })).timeZone).toBe(timeZone);
    }
    expect(validateWorkingWindow(window({ from: '22:00', to: '06:00' })).to).toBe('06:00');
    expect(validateWorkingWindow(window({ from: '00:00', to: '23:59' })).from).toBe('00:00');
  });

  const refusals: [string, unknown, string, RegExp][] = [
    ['a non-object', 'always', 'window', /must be an object/],
    ['null', null, 'window', /must be an object/],
    ['an array', [], 'window', /must be an object/],
    ['an unknown key', { ...window(), timezone: 'UTC' }, 'window.timezone', /not a field/],
    ['a missing from', { ...window(), from: undefined }, 'window.from', /HH:MM/],
    ['an unpadded hour', window({ from: '7:00' }), 'window.from', /HH:MM/],
    ['24:00', window({ to: '24:00' }), 'window.to', /00:00 and 23:59/],
    ['minute 60', window({ to: '12:60' }), 'window.to', /HH:MM/],
    ['seconds', window({ to: '12:00:00' }), 'window.to', /HH:MM/],
    ['from equal to to', window({ to: '07:00' }), 'window.to', /must differ from window.from/],
    ['no days', window({ days: [] }), 'window.days', /non-empty/],
    ['days not a list', { ...window(), days: 1 }, 'window.days', /non-empty list/],
    ['day 0', window({ days: [0, 1] }), 'window.days', /1 \(Monday\) to 7 \(Sunday\)/],
    ['day 8', window({ days: [8] }), 'window.days', /1 \(Monday\) to 7/],
    ['a fractional day', window({ days: [1.5] }), 'window.days', /whole numbers/],
    ['a day as text', { ...window(), days: ['1'] }, 'window.days', /whole numbers/],
    ['a repeated day', window({ days: [1, 2, 1] }), 'window.days', /must not repeat/],
    ['a missing zone', { ...window(), timeZone: undefined }, 'window.timeZone', /IANA/],
    ['UTC+2', window({ timeZone: 'UTC+2' }), 'window.timeZone', /not a fixed offset/],
    ['+02:00', window({ timeZone: '+02:00' }), 'window.timeZone', /not a fixed offset/],
    ['GMT-5', window({ timeZone: 'GMT-5' }), 'window.timeZone', /not a fixed offset/],
    ['an unknown zone', window({ timeZone: 'Mars/Olympus' }), 'window.timeZone', /not a known/],
  ];
  it.each(refusals)('refuses %s, naming the field', (_, value, field, reason) => {
    let caught: unknown;
    try {
      validateWorkingWindow(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ kind: 'invalidInput', details: [{ field }] });
    expect((caught as Error).message).toMatch(reason);
    expect((caught as Error).message.startsWith(`${field} `)).toBe(true);
  });

  it('names the field it is given', () => {
    expect(() => validateWorkingWindow(window({ days: [] }), 'workingWindow')).toThrow(
      expect.objectContaining({
        details: [expect.objectContaining({ field: 'workingWindow.days' })],
      }),
    );
  });
});

describe('isWindowOpen', () => {
  describe('on ordinary days', () => {
    it('is open on the listed weekdays only', () => {
      const w = window();
      expect(isWindowOpen(w, utc('2026-12-07T09:00'))).toBe(true); // Monday 10:00 CET
      expect(isWindowOpen(w, utc('2026-12-11T18:00'))).toBe(true); // Friday 19:00
      expect(isWindowOpen(w, utc('2026-12-12T09:00'))).toBe(false); // Saturday
      expect(isWindowOpen(w, utc('2026-12-13T09:00'))).toBe(false); // Sunday
      expect(isWindowOpen(w, utc('2026-12-07T02:00'))).toBe(false); // Monday 03:00
    });

    it('opens at from (inclusive) and closes at to (exclusive)', () => {
      const w = window();
      expect(isWindowOpen(w, utc('2026-12-07T05:59:59.999'))).toBe(false);
      expect(isWindowOpen(w, utc('2026-12-07T06:00'))).toBe(true); // 07:00 CET
      expect(isWindowOpen(w, utc('2026-12-07T18:59:59.999'))).toBe(true);
      expect(isWindowOpen(w, utc('2026-12-07T19:00'))).toBe(false); // 20:00 CET
    });

    it('is open 13 hours a day, 5 days a week', () => {
      expect(openMinutes(window(), '2026-12-06T23:00', '2026-12-13T23:00')).toMatchObject({
        minutes: 5 * 13 * 60,
        first: '2026-12-07T06:00:00.000Z',
        last: '2026-12-11T18:59:00.000Z',
      });
    });
  });

  describe('across midnight', () => {
    const friday = window({ from: '22:00', to: '06:00', days: [5] });

    it('runs from its day into the next morning, and not on the next night', () => {
      expect(isWindowOpen(friday, utc('2026-12-11T20:59:59.999'))).toBe(false); // Fri 21:59
      expect(isWindowOpen(friday, utc('2026-12-11T21:00'))).toBe(true); // Fri 22:00
      expect(isWindowOpen(friday, utc('2026-12-11T23:30'))).toBe(true); // Sat 00:30
      expect(isWindowOpen(friday, utc('2026-12-12T04:59:59.999'))).toBe(true); // Sat 05:59
      expect(isWindowOpen(friday, utc('2026-12-12T05:00'))).toBe(false); // Sat 06:00
      expect(isWindowOpen(friday, utc('2026-12-12T21:00'))).toBe(false); // Sat 22:00
      expect(isWindowOpen(friday, utc('2026-12-11T02:00'))).toBe(false); // Fri 03:00 (Thu's)
      expect(openMinutes(friday, '2026-12-06T23:00', '2026-12-13T23:00').minutes).toBe(8 * 60);
    });

    it('carries Sunday night into Monday morning', () => {
      const sunday = window({ from: '23:00', to: '01:00', days: [7] });
      expect(isWindowOpen(sunday, utc('2026-12-13T22:00'))).toBe(true); // Sun 23:00
      expect(isWindowOpen(sunday, utc('2026-12-13T23:30'))).toBe(true); // Mon 00:30
      expect(isWindowOpen(sunday, utc('2026-12-14T00:00'))).toBe(false); // Mon 01:00
      expect(isWindowOpen(sunday, utc('2026-12-12T23:30'))).toBe(false); // Sun 00:30 (Sat's)
      expect(openMinutes(sunday, '2026-12-07T00:00', '2026-12-14T23:00')).toMatchObject({
        minutes: 120,
        first: '2026-12-13T22:00:00.000Z',
        last: '2026-12-13T23:59:00.000Z',
      });
    });
  });

  describe('on the spring-forward day (Europe/Rome, 2026-03-29: 02:00 CET → 03:00 CEST)', () => {
    const sunday = (from: string, to: string) => window({ from, to, days: [7] });
    const day = (w: WorkingWindow) => openMinutes(w, '2026-03-28T12:00', '2026-03-29T22:00');

    it('never opens a window made of the missing hour (02:00–03:00)', () => {
      expect(day(sunday('02:00', '03:00')).minutes).toBe(0);
    });

    it('closes a window ending inside the gap when the clock jumps (01:30–02:30)', () => {
      expect(day(sunday('01:30', '02:30'))).toMatchObject({
        minutes: 30,
        first: '2026-03-29T00:30:00.000Z', // 01:30 CET
        last: '2026-03-29T00:59:00.000Z',
      });
      expect(isWindowOpen(sunday('01:30', '02:30'), utc('2026-03-29T00:59:59.999'))).toBe(true);
      expect(isWindowOpen(sunday('01:30', '02:30'), utc('2026-03-29T01:00'))).toBe(false);
    });

    it('opens a window starting inside the gap when the clock jumps (02:30–04:00)', () => {
      expect(day(sunday('02:30', '04:00'))).toMatchObject({
        minutes: 60,
        first: '2026-03-29T01:00:00.000Z', // 03:00 CEST
        last: '2026-03-29T01:59:00.000Z',
      });
    });

    it('keeps 07:00–20:00 at 13 hours, in CEST', () => {
      expect(day(sunday('07:00', '20:00'))).toMatchObject({
        minutes: 13 * 60,
        first: '2026-03-29T05:00:00.000Z',
        last: '2026-03-29T17:59:00.000Z',
      });
    });

    it('gives a window crossing into the short night its real length (22:00–06:00)', () => {
      const saturday = window({ from: '22:00', to: '06:00', days: [6] });
      expect(day(saturday)).toMatchObject({
        minutes: 7 * 60,
        first: '2026-03-28T21:00:00.000Z',
        last: '2026-03-29T03:59:00.000Z',
      });
    });
  });

  describe('on the fall-back day (Europe/Rome, 2026-10-25: 03:00 CEST → 02:00 CET)', () => {
    const sunday = (from: string, to: string) => window({ from, to, days: [7] });
    const day = (w: WorkingWindow) => openMinutes(w, '2026-10-24T12:00', '2026-10-25T23:00');

    it('keeps a window over the repeated hour open through both passes (02:00–03:00)', () => {
      expect(day(sunday('02:00', '03:00'))).toMatchObject({
        minutes: 120,
        first: '2026-10-25T00:00:00.000Z', // 02:00 CEST
        last: '2026-10-25T01:59:00.000Z', // 02:59 CET
      });
    });

    it('closes a window at the first 02:30 and does not reopen it at the second 02:00 (01:30–02:30)', () => {
      expect(day(sunday('01:30', '02:30'))).toMatchObject({
        minutes: 60,
        first: '2026-10-24T23:30:00.000Z', // 01:30 CEST
        last: '2026-10-25T00:29:00.000Z',
      });
      expect(isWindowOpen(sunday('01:30', '02:30'), utc('2026-10-25T01:15'))).toBe(false); // 02:15 CET
    });

    it('opens a window starting in the repeated hour at its first pass (02:30–04:00)', () => {
      expect(day(sunday('02:30', '04:00'))).toMatchObject({
        minutes: 150,
        first: '2026-10-25T00:30:00.000Z', // 02:30 CEST
        last: '2026-10-25T02:59:00.000Z', // 03:59 CET
      });
    });

    it('keeps 07:00–20:00 at 13 hours, in CET', () => {
      expect(day(sunday('07:00', '20:00'))).toMatchObject({
        minutes: 13 * 60,
        first: '2026-10-25T06:00:00.000Z',
        last: '2026-10-25T18:59:00.000Z',
      });
    });

    it('gives a window crossing into the long night its real length (22:00–06:00)', () => {
      const saturday = window({ from: '22:00', to: '06:00', days: [6] });
      expect(day(saturday)).toMatchObject({
        minutes: 9 * 60,
        first: '2026-10-24T20:00:00.000Z',
        last: '2026-10-25T04:59:00.000Z',
      });
    });
  });

  describe('far from UTC', () => {
    it('follows the local weekday in Pacific/Auckland (UTC+13 in December)', () => {
      const w = window({ timeZone: 'Pacific/Auckland' });
      expect(isWindowOpen(w, utc('2026-12-06T17:59:59.999'))).toBe(false); // Mon 06:59 NZDT
      expect(isWindowOpen(w, utc('2026-12-06T18:00'))).toBe(true); // Mon 07:00, Sunday in UTC
      expect(isWindowOpen(w, utc('2026-12-11T06:59'))).toBe(true); // Fri 19:59
      expect(isWindowOpen(w, utc('2026-12-11T07:00'))).toBe(false); // Fri 20:00
      expect(isWindowOpen(w, utc('2026-12-11T21:00'))).toBe(false); // Sat 10:00, Friday in UTC
    });

    it('follows the local weekday in America/Los_Angeles (UTC-8 in December)', () => {
      const w = window({ from: '18:00', to: '23:00', days: [7], timeZone: 'America/Los_Angeles' });
      expect(isWindowOpen(w, utc('2026-12-14T02:00'))).toBe(true); // Sun 18:00 PST, Monday in UTC
      expect(isWindowOpen(w, utc('2026-12-14T06:59'))).toBe(true); // Sun 22:59
      expect(isWindowOpen(w, utc('2026-12-14T07:00'))).toBe(false);
      expect(isWindowOpen(w, utc('2026-12-13T20:00'))).toBe(false); // Sun 12:00
    });
  });

  describe('on a scaled clock (SCHEDULER_MINUTE_MS)', () => {
    it('evaluates the virtual instant: with 100 ms minutes a virtual day lasts 144 s', () => {
      const w = window();
      // Real instant whose virtual instant (×600) is Monday 2026-12-07 07:00 CET.
      const opens = utc('2026-12-07T06:00') / 600;
      expect(Number.isInteger(opens)).toBe(true);
      expect(isWindowOpen(w, opens - 1, 100)).toBe(false);
      expect(isWindowOpen(w, opens, 100)).toBe(true);
      expect(isWindowOpen(w, opens + 77_999, 100)).toBe(true); // 19:59:59.4 virtual
      expect(isWindowOpen(w, opens + 78_000, 100)).toBe(false); // 20:00 virtual
      expect(isWindowOpen(w, opens + 144_000, 100)).toBe(true); // Tuesday 07:00
      expect(isWindowOpen(w, opens + 5 * 144_000, 100)).toBe(false); // Saturday 07:00
    });

    it('still answers when the virtual instant is far beyond any Date (10 ms minutes, today)', () => {
      const w = window({ timeZone: 'UTC' });
      const start = utc('2026-12-07T00:00'); // ×6000: past the year 275,760
      let open = 0;
      // One virtual week, one sample per virtual minute (10 ms).
      for (let at = start; at < start + 7 * 1440 * 10; at += 10) {
        if (isWindowOpen(w, at, 10)) open++;
      }
      expect(open).toBe(5 * 13 * 60);
    });
  });
});

describe('describeWindow', () => {
  it('names the days, the hours and the zone', () => {
    expect(describeWindow(window())).toBe('Mon–Fri 07:00–20:00 Europe/Rome');
    expect(describeWindow(window({ days: [1, 2, 3, 5, 6] }))).toBe(
      'Mon–Wed, Fri, Sat 07:00–20:00 Europe/Rome',
    );
    expect(describeWindow(window({ days: [1, 2, 3, 4, 5, 6, 7], timeZone: 'UTC' }))).toBe(
      'Mon–Sun 07:00–20:00 UTC',
    );
  });

  it('says when the window ends the next day', () => {
    expect(describeWindow(window({ from: '22:00', to: '06:00', days: [5] }))).toBe(
      'Fri 22:00–06:00 (next day) Europe/Rome',
    );
  });
});
