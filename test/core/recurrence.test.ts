import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nextOccurrence,
  occurrencesBetween,
  parseRecurrence,
  type Recurrence,
  RecurrenceError,
  WEEK_DAYS,
  WINDOWS_TIME_ZONES,
} from '../../src/core/recurrence';

const at = (iso: string) => new Date(iso);
const isoList = (dates: Date[]) => dates.map((d) => d.toISOString().replace('.000Z', 'Z'));
const between = (r: Recurrence, from: string, to: string, limit?: number, anchor?: string) =>
  isoList(occurrencesBetween(r, at(from), at(to), limit, anchor === undefined ? undefined : at(anchor)));

/** Wall-clock "HH:MM" of an instant in an IANA zone, read independently of the code under test. */
function wallClock(date: Date, iana: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: iana,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

describe('simple recurrences (no schedule): anchored at startTime', () => {
  it('fires at startTime + k * interval, from exclusive, to inclusive', () => {
    const r: Recurrence = { frequency: 'Minute', interval: 15, startTime: '2024-01-01T09:00:00Z' };
    expect(between(r, '2024-01-01T09:00:00Z', '2024-01-01T10:00:00Z')).toEqual([
      '2024-01-01T09:15:00Z',
      '2024-01-01T09:30:00Z',
      '2024-01-01T09:45:00Z',
      '2024-01-01T10:00:00Z',
    ]);
    expect(between(r, '2024-01-01T08:00:00Z', '2024-01-01T09:00:00Z')).toEqual(['2024-01-01T09:00:00Z']);
    expect(between(r, '2023-12-31T00:00:00Z', '2024-01-01T08:59:59Z')).toEqual([]);
  });

  it('matches the Learn example: start 2017-09-07 14:00Z every two days, next run after 09-08 13:00 is 09-09', () => {
    const r: Recurrence = { frequency: 'Day', interval: 2, startTime: '2017-09-07T14:00:00Z' };
    expect(between(r, '2017-09-08T13:00:00Z', '2017-09-15T14:00:00Z')).toEqual([
      '2017-09-09T14:00:00Z',
      '2017-09-11T14:00:00Z',
      '2017-09-13T14:00:00Z',
      '2017-09-15T14:00:00Z',
    ]);
  });

  it('handles seconds and hours far from the start without walking every step', () => {
    const r: Recurrence = { frequency: 'Second', interval: 7, startTime: '2000-01-01T00:00:00Z' };
    const got = occurrencesBetween(r, at('2030-01-01T00:00:00Z'), at('2030-01-01T00:00:30Z'));
    expect(got.length).toBeGreaterThanOrEqual(4);
    for (const d of got) expect((d.getTime() - Date.parse('2000-01-01T00:00:00Z')) % 7000).toBe(0);
    expect(
      between(
        { frequency: 'Hour', interval: 5, startTime: '2024-01-01T01:30:00Z' },
        '2024-01-02T00:00:00Z',
        '2024-01-02T12:00:00Z',
      ),
    ).toEqual(['2024-01-02T02:30:00Z', '2024-01-02T07:30:00Z']);
  });

  it('steps months from the start and clamps to the last day (Jan 31 -> Feb 29 -> Mar 31)', () => {
    const r: Recurrence = { frequency: 'Month', interval: 1, startTime: '2024-01-31T10:00:00Z' };
    expect(between(r, '2024-01-01T00:00:00Z', '2024-05-01T00:00:00Z')).toEqual([
      '2024-01-31T10:00:00Z',
      '2024-02-29T10:00:00Z',
      '2024-03-31T10:00:00Z',
      '2024-04-30T10:00:00Z',
    ]);
  });

  it('stops at endTime (inclusive) and nextOccurrence then answers undefined', () => {
    const r: Recurrence = {
      frequency: 'Hour',
      interval: 1,
      startTime: '2024-01-01T00:00:00Z',
      endTime: '2024-01-01T03:00:00Z',
    };
    expect(between(r, '2023-12-31T00:00:00Z', '2024-02-01T00:00:00Z')).toEqual([
      '2024-01-01T00:00:00Z',
      '2024-01-01T01:00:00Z',
      '2024-01-01T02:00:00Z',
      '2024-01-01T03:00:00Z',
    ]);
    expect(nextOccurrence(r, at('2024-01-01T02:00:00Z'))?.toISOString()).toBe('2024-01-01T03:00:00.000Z');
    expect(nextOccurrence(r, at('2024-01-01T03:00:00Z'))).toBeUndefined();
  });

  it('honours the limit and returns the earliest ones', () => {
    const r: Recurrence = { frequency: 'Minute', interval: 1, startTime: '2024-01-01T00:00:00Z' };
    expect(occurrencesBetween(r, at('2023-12-31T23:59:00Z'), at('2024-12-31T00:00:00Z'))).toHaveLength(
      10_000,
    );
    expect(between(r, '2023-12-31T23:59:00Z', '2024-12-31T00:00:00Z', 2)).toEqual([
      '2024-01-01T00:00:00Z',
      '2024-01-01T00:01:00Z',
    ]);
  });

  it('without startTime anchors at the given save time, which is itself a run', () => {
    const r: Recurrence = { frequency: 'Minute', interval: 10 };
    expect(
      between(r, '2024-01-01T00:00:00Z', '2024-01-01T00:30:00Z', undefined, '2024-01-01T00:03:00Z'),
    ).toEqual(['2024-01-01T00:03:00Z', '2024-01-01T00:13:00Z', '2024-01-01T00:23:00Z']);
    expect(() => occurrencesBetween(r, at('2024-01-01T00:00:00Z'), at('2024-01-02T00:00:00Z'))).toThrow(
      /startTime.*anchor/,
    );
  });

  it('ignores a schedule for Second/Minute/Hour frequencies, as the service does', () => {
    const plain: Recurrence = { frequency: 'Hour', interval: 2, startTime: '2024-01-01T00:10:00Z' };
    const withSchedule: Recurrence = { ...plain, schedule: { hours: [5], minutes: [45] } };
    const from = '2024-01-01T00:00:00Z';
    const to = '2024-01-02T00:00:00Z';
    expect(between(withSchedule, from, to)).toEqual(between(plain, from, to));
    expect(between(withSchedule, from, to)).toHaveLength(12);
  });
});

describe('schedules (Day/Week hours, minutes, weekDays; Month monthDays)', () => {
  it('runs daily at the scheduled hours x minutes', () => {
    const r: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-01-01T00:00:00Z',
      schedule: { hours: [8, 16], minutes: [30, 45] },
    };
    expect(between(r, '2024-01-01T00:00:00Z', '2024-01-02T12:00:00Z')).toEqual([
      '2024-01-01T08:30:00Z',
      '2024-01-01T08:45:00Z',
      '2024-01-01T16:30:00Z',
      '2024-01-01T16:45:00Z',
      '2024-01-02T08:30:00Z',
      '2024-01-02T08:45:00Z',
    ]);
  });

  it('fires no sooner than startTime, then on the schedule', () => {
    const r: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-01-01T09:20:00Z',
      schedule: { hours: [9, 10], minutes: [0, 30] },
    };
    expect(between(r, '2024-01-01T00:00:00Z', '2024-01-01T23:00:00Z')).toEqual([
      '2024-01-01T09:30:00Z',
      '2024-01-01T10:00:00Z',
      '2024-01-01T10:30:00Z',
    ]);
  });

  it('takes missing minutes (hours) from the start time', () => {
    const hoursOnly: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-01-01T07:25:00Z',
      schedule: { hours: [8] },
    };
    expect(between(hoursOnly, '2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z')).toEqual([
      '2024-01-01T08:25:00Z',
      '2024-01-02T08:25:00Z',
    ]);
    const minutesOnly: Recurrence = { ...hoursOnly, schedule: { minutes: [0, 30] } };
    expect(between(minutesOnly, '2024-01-01T00:00:00Z', '2024-01-02T08:00:00Z')).toEqual([
      '2024-01-01T07:30:00Z',
      '2024-01-02T07:00:00Z',
      '2024-01-02T07:30:00Z',
    ]);
  });

  it('with interval > 1 day runs only every interval-th day from the start date', () => {
    const r: Recurrence = {
      frequency: 'Day',
      interval: 3,
      startTime: '2024-01-01T00:00:00Z',
      schedule: { hours: [6], minutes: [0] },
    };
    expect(between(r, '2024-01-01T00:00:00Z', '2024-01-11T00:00:00Z')).toEqual([
      '2024-01-01T06:00:00Z',
      '2024-01-04T06:00:00Z',
      '2024-01-07T06:00:00Z',
      '2024-01-10T06:00:00Z',
    ]);
  });

  it('matches the Learn example: start Fri 2020-09-18 8:00 AM Pacific, Mondays 10:30, 12:30 and 14:30', () => {
    const r = parseRecurrence(
      {
        frequency: 'Week',
        interval: 1,
        startTime: '2020-09-18T08:00:00',
        timeZone: 'Pacific Standard Time',
        schedule: { hours: [10, 12, 14], minutes: [30], weekDays: ['Monday'] },
      },
      'test',
    );
    // PDT is UTC-7 in September.
    expect(between(r, '2020-09-01T00:00:00Z', '2020-09-28T18:00:00Z')).toEqual([
      '2020-09-21T17:30:00Z',
      '2020-09-21T19:30:00Z',
      '2020-09-21T21:30:00Z',
      '2020-09-28T17:30:00Z',
    ]);
  });

  it('runs every other week on the listed week days (biweekly)', () => {
    const r: Recurrence = {
      frequency: 'Week',
      interval: 2,
      startTime: '2024-01-01T00:00:00Z', // a Monday
      schedule: { weekDays: ['Monday', 'Friday'], hours: [9], minutes: [0] },
    };
    expect(between(r, '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z')).toEqual([
      '2024-01-01T09:00:00Z',
      '2024-01-05T09:00:00Z',
      '2024-01-15T09:00:00Z',
      '2024-01-19T09:00:00Z',
      '2024-01-29T09:00:00Z',
    ]);
  });

  it('defaults Week days to the start day and time to the start time', () => {
    const r: Recurrence = {
      frequency: 'Week',
      interval: 1,
      startTime: '2017-09-09T17:00:00Z', // a Saturday, 5 PM
      schedule: { weekDays: ['Saturday'] },
    };
    expect(between(r, '2017-09-01T00:00:00Z', '2017-09-24T00:00:00Z')).toEqual([
      '2017-09-09T17:00:00Z',
      '2017-09-16T17:00:00Z',
      '2017-09-23T17:00:00Z',
    ]);
  });

  it('runs on month days, counting negative days from the end, skipping months without the day', () => {
    const r: Recurrence = {
      frequency: 'Month',
      interval: 1,
      startTime: '2024-01-01T00:00:00Z',
      schedule: { monthDays: [30, -1], hours: [12], minutes: [0] },
    };
    expect(between(r, '2024-01-01T00:00:00Z', '2024-03-31T23:00:00Z')).toEqual([
      '2024-01-30T12:00:00Z',
      '2024-01-31T12:00:00Z',
      '2024-02-29T12:00:00Z',
      '2024-03-30T12:00:00Z',
      '2024-03-31T12:00:00Z',
    ]);
    const never: Recurrence = {
      frequency: 'Month',
      interval: 12,
      startTime: '2024-02-01T00:00:00Z',
      schedule: { monthDays: [31] },
    };
    expect(nextOccurrence(never, at('2024-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('without startTime runs immediately at the save time, then on the schedule', () => {
    const r: Recurrence = { frequency: 'Day', interval: 1, schedule: { hours: [8], minutes: [30] } };
    expect(
      between(r, '2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z', undefined, '2024-01-01T12:07:00Z'),
    ).toEqual(['2024-01-01T12:07:00Z', '2024-01-02T08:30:00Z']);
  });
});

describe('time zones', () => {
  it('keeps a daily local time across the spring DST change (W. Europe Standard Time)', () => {
    const r: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-03-29T08:00:00',
      timeZone: 'W. Europe Standard Time',
    };
    expect(between(r, '2024-03-28T00:00:00Z', '2024-04-01T23:00:00Z')).toEqual([
      '2024-03-29T07:00:00Z',
      '2024-03-30T07:00:00Z',
      '2024-03-31T06:00:00Z', // CEST from 31 March
      '2024-04-01T06:00:00Z',
    ]);
  });

  it('keeps scheduled local times across the autumn DST change (Eastern Standard Time)', () => {
    const r: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-11-01T00:00:00',
      timeZone: 'Eastern Standard Time',
      schedule: { hours: [9], minutes: [0] },
    };
    expect(between(r, '2024-11-01T00:00:00Z', '2024-11-05T00:00:00Z')).toEqual([
      '2024-11-01T13:00:00Z',
      '2024-11-02T13:00:00Z',
      '2024-11-03T14:00:00Z', // EST from 3 November
      '2024-11-04T14:00:00Z',
    ]);
  });

  it('moves a local time in the spring gap forward by the gap and takes the first of a repeated time', () => {
    const spring: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-03-30T02:30:00',
      timeZone: 'W. Europe Standard Time',
    };
    expect(between(spring, '2024-03-30T00:00:00Z', '2024-03-31T12:00:00Z')).toEqual([
      '2024-03-30T01:30:00Z',
      '2024-03-31T01:30:00Z', // 02:30 does not exist; 03:30 CEST
    ]);
    const autumn: Recurrence = { ...spring, startTime: '2024-10-26T02:30:00' };
    expect(between(autumn, '2024-10-26T00:00:00Z', '2024-10-28T12:00:00Z')).toEqual([
      '2024-10-26T00:30:00Z',
      '2024-10-27T00:30:00Z', // 02:30 CEST, the first of the two 02:30s
      '2024-10-28T01:30:00Z',
    ]);
  });

  it('runs Hour frequencies on elapsed time across a DST change', () => {
    const r: Recurrence = {
      frequency: 'Hour',
      interval: 1,
      startTime: '2024-03-10T00:00:00',
      timeZone: 'Pacific Standard Time',
    };
    const got = occurrencesBetween(r, at('2024-03-10T09:00:00Z'), at('2024-03-10T12:00:00Z'));
    expect(isoList(got)).toEqual(['2024-03-10T10:00:00Z', '2024-03-10T11:00:00Z', '2024-03-10T12:00:00Z']);
  });

  it('ignores timeZone when startTime ends in Z, as the service does', () => {
    const r: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-03-29T08:00:00Z',
      timeZone: 'W. Europe Standard Time',
      schedule: { hours: [8], minutes: [0] },
    };
    expect(between(r, '2024-03-30T00:00:00Z', '2024-04-01T00:00:00Z')).toEqual([
      '2024-03-30T08:00:00Z',
      '2024-03-31T08:00:00Z',
    ]);
  });

  it('evaluates India and Tokyo (no DST, non-whole-hour offset) correctly', () => {
    const india: Recurrence = {
      frequency: 'Day',
      interval: 1,
      startTime: '2024-06-01T09:00:00',
      timeZone: 'India Standard Time',
    };
    expect(between(india, '2024-06-01T00:00:00Z', '2024-06-02T12:00:00Z')).toEqual([
      '2024-06-01T03:30:00Z',
      '2024-06-02T03:30:00Z',
    ]);
    const tokyo: Recurrence = { ...india, timeZone: 'Tokyo Standard Time' };
    expect(between(tokyo, '2024-05-31T23:00:00Z', '2024-06-01T12:00:00Z')).toEqual(['2024-06-01T00:00:00Z']);
  });

  it('keeps a daily wall-clock time in every supported zone across a whole year (property)', () => {
    const zones = Object.keys(WINDOWS_TIME_ZONES);
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 365 }),
        fc.integer({ min: 4, max: 22 }), // hours away from DST gaps (01:00-03:00 local)
        fc.integer({ min: 0, max: 59 }),
        (zone, dayOffset, hour, minute) => {
          const day = new Date(Date.UTC(2024, 0, 1 + dayOffset)).toISOString().slice(0, 10);
          const hh = String(hour).padStart(2, '0');
          const mm = String(minute).padStart(2, '0');
          const r: Recurrence = {
            frequency: 'Day',
            interval: 1,
            startTime: `${day}T${hh}:${mm}:00`,
            timeZone: zone,
          };
          const from = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000);
          const got = occurrencesBetween(r, from, new Date(from.getTime() + 400 * 86_400_000));
          expect(got.length).toBeGreaterThanOrEqual(398);
          for (const d of got) expect(wallClock(d, WINDOWS_TIME_ZONES[zone]!)).toBe(`${hh}:${mm}`);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('parseRecurrence', () => {
  it('normalises frequency and week-day case and wraps scalars in arrays', () => {
    expect(
      parseRecurrence(
        { frequency: 'week', interval: 1, schedule: { weekDays: 'monday', hours: 8, minutes: 0 } },
        'wf',
      ),
    ).toEqual({
      frequency: 'Week',
      interval: 1,
      schedule: { weekDays: ['Monday'], hours: [8], minutes: [0] },
    });
  });

  it.each([
    [{ frequency: 'Minute', interval: 0 }, /wf\.interval: must be an integer >= 1, got 0/],
    [{ frequency: 'Minute', interval: 1.5 }, /wf\.interval: .* got 1\.5/],
    [{ frequency: 'Minute', interval: '10' }, /wf\.interval: .* got "10"/],
    [{ frequency: 'Day', interval: 501 }, /wf\.interval: must be at most 500 for frequency Day/],
    [{ frequency: 'Fortnight', interval: 1 }, /wf\.frequency: must be one of .* got "Fortnight"/],
    [{ interval: 1 }, /wf\.frequency: .* got nothing/],
    [
      { frequency: 'Day', interval: 1, schedule: { minutes: [60] } },
      /wf\.schedule\.minutes: .* 0 to 59, got 60/,
    ],
    [{ frequency: 'Day', interval: 1, schedule: { hours: [24] } }, /wf\.schedule\.hours: .* 0 to 23, got 24/],
    [{ frequency: 'Day', interval: 1, schedule: { hours: [] } }, /wf\.schedule\.hours: must not be empty/],
    [
      { frequency: 'Week', interval: 1, schedule: { weekDays: ['Funday'] } },
      /wf\.schedule\.weekDays: .* got "Funday"/,
    ],
    [{ frequency: 'Month', interval: 1, schedule: { monthDays: [0] } }, /wf\.schedule\.monthDays/],
    [
      { frequency: 'Month', interval: 1, schedule: { monthlyOccurrences: [] } },
      /monthlyOccurrences: is not supported/,
    ],
    [
      { frequency: 'Day', interval: 1, timeZone: 'Mars Standard Time' },
      /wf\.timeZone: unknown Windows time zone "Mars Standard Time"/,
    ],
    [
      { frequency: 'Day', interval: 1, startTime: '2024-02-30T00:00:00Z' },
      /wf\.startTime: must be an ISO 8601 date-time/,
    ],
    [{ frequency: 'Day', interval: 1, endTime: 'tomorrow' }, /wf\.endTime: .* got "tomorrow"/],
    [{ frequency: 'Day', interval: 1, intervall: 2 }, /wf\.intervall: is not a recurrence property/],
    ['every day', /wf: a recurrence must be an object, got "every day"/],
  ])('rejects %j', (value, message) => {
    expect(() => parseRecurrence(value, 'wf')).toThrow(RecurrenceError);
    expect(() => parseRecurrence(value, 'wf')).toThrow(message);
  });

  it('rejects bad objects at evaluation time too', () => {
    const bad = { frequency: 'Minute', interval: -1, startTime: '2024-01-01T00:00:00Z' } as Recurrence;
    expect(() => occurrencesBetween(bad, at('2024-01-01T00:00:00Z'), at('2024-01-02T00:00:00Z'))).toThrow(
      RecurrenceError,
    );
  });
});

// ------------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------------

const START = Date.parse('2024-01-01T00:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

/** Day/Week schedules in UTC, with random starts and windows. */
const utcSchedule = fc
  .record({
    frequency: fc.constantFrom<'Day' | 'Week'>('Day', 'Week'),
    interval: fc.integer({ min: 1, max: 3 }),
    startMinute: fc.integer({ min: 0, max: 60 * 24 * 30 }),
    hours: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 5 }), {
      nil: undefined,
    }),
    minutes: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 5 }), {
      nil: undefined,
    }),
    weekDays: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }), {
      nil: undefined,
    }),
  })
  .map(({ frequency, interval, startMinute, hours, minutes, weekDays }) => {
    const schedule: NonNullable<Recurrence['schedule']> = {};
    if (hours) schedule.hours = hours;
    if (minutes) schedule.minutes = minutes;
    if (weekDays && frequency === 'Week') schedule.weekDays = weekDays.map((d) => WEEK_DAYS[d]!);
    const r: Recurrence = {
      frequency,
      interval,
      startTime: new Date(START + startMinute * MINUTE).toISOString(),
      schedule,
    };
    return r;
  });

/** An independent oracle: scan every minute and test it against the documented rules. */
function bruteForce(r: Recurrence, from: number, to: number): string[] {
  const base = Date.parse(r.startTime!);
  const baseDay = Math.floor(base / DAY);
  const baseDate = new Date(base);
  const hours = r.schedule?.hours ?? [baseDate.getUTCHours()];
  const minutes = r.schedule?.minutes ?? [baseDate.getUTCMinutes()];
  const weekDays = r.schedule?.weekDays ?? [WEEK_DAYS[baseDate.getUTCDay()]!];
  const out: string[] = [];
  for (let t = Math.ceil((from + 1) / MINUTE) * MINUTE; t <= to; t += MINUTE) {
    if (t < base) continue;
    const d = new Date(t);
    if (!hours.includes(d.getUTCHours()) || !minutes.includes(d.getUTCMinutes())) continue;
    const day = Math.floor(t / DAY);
    if (r.frequency === 'Day') {
      if ((day - baseDay) % r.interval !== 0) continue;
    } else {
      const sunday = baseDay - baseDate.getUTCDay();
      if (Math.floor((day - sunday) / 7) % r.interval !== 0) continue;
      if (!weekDays.includes(WEEK_DAYS[d.getUTCDay()]!)) continue;
    }
    out.push(d.toISOString().replace('.000Z', 'Z'));
  }
  return out;
}

describe('properties', () => {
  it('Day/Week schedules agree with a minute-by-minute scan of the documented rules', () => {
    fc.assert(
      fc.property(
        utcSchedule,
        fc.integer({ min: 0, max: 60 * 24 * 40 }),
        fc.integer({ min: 1, max: 60 * 24 * 4 }),
        (r, fromMinute, span) => {
          const from = START + fromMinute * MINUTE;
          const to = from + span * MINUTE;
          expect(isoList(occurrencesBetween(r, new Date(from), new Date(to)))).toEqual(
            bruteForce(r, from, to),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  // Intervals keep a 40-day window under the limit; wall-clock starts in every supported zone.
  const intervalRange = {
    Second: [900, 7200],
    Minute: [15, 600],
    Hour: [1, 48],
    Day: [1, 10],
    Week: [1, 4],
    Month: [1, 16],
  };
  const anyRecurrence: fc.Arbitrary<Recurrence> = fc.oneof(
    utcSchedule,
    fc
      .constantFrom<Recurrence['frequency']>('Second', 'Minute', 'Hour', 'Day', 'Week', 'Month')
      .chain((frequency) =>
        fc.record({
          frequency: fc.constant(frequency),
          interval: fc.integer({ min: intervalRange[frequency][0]!, max: intervalRange[frequency][1]! }),
          startTime: fc
            .integer({ min: 0, max: 60 * 24 * 60 })
            .map((m) => new Date(START + m * MINUTE).toISOString().slice(0, 19)),
          timeZone: fc.constantFrom(...Object.keys(WINDOWS_TIME_ZONES)),
        }),
      ),
  );

  it('a window split in two gives the same occurrences as the whole window', () => {
    fc.assert(
      fc.property(
        anyRecurrence,
        fc.integer({ min: 0, max: 60 * 24 * 90 }),
        fc.integer({ min: 0, max: 60 * 24 * 20 }),
        fc.integer({ min: 0, max: 60 * 24 * 20 }),
        (r, a, b, c) => {
          const from = new Date(START + a * MINUTE);
          const mid = new Date(from.getTime() + b * MINUTE);
          const to = new Date(mid.getTime() + c * MINUTE);
          const whole = isoList(occurrencesBetween(r, from, to, 100_000));
          const parts = [
            ...isoList(occurrencesBetween(r, from, mid, 100_000)),
            ...isoList(occurrencesBetween(r, mid, to, 100_000)),
          ];
          expect(parts).toEqual(whole);
          expect([...whole].sort()).toEqual(whole); // ascending (same-length ISO strings)
          expect(new Set(whole).size).toBe(whole.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('following nextOccurrence step by step visits exactly occurrencesBetween', () => {
    fc.assert(
      fc.property(anyRecurrence, fc.integer({ min: 0, max: 60 * 24 * 90 }), (r, a) => {
        const from = new Date(START + a * MINUTE);
        const expected = isoList(occurrencesBetween(r, from, new Date(from.getTime() + 400 * DAY), 12));
        const walked: string[] = [];
        let cursor: Date | undefined = from;
        while (walked.length < expected.length && cursor) {
          cursor = nextOccurrence(r, cursor);
          if (cursor) walked.push(cursor.toISOString().replace('.000Z', 'Z'));
        }
        expect(walked).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
