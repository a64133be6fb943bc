import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  occurrencesBetween,
  parseRecurrence,
  type Recurrence,
  WINDOWS_TIME_ZONES,
} from '../../src/core/recurrence';
import {
  nextSlotBoundary,
  parseIsoDuration,
  ScheduleError,
  slotIndex,
  splitSchedules,
  type SplitScheduleInput,
  type SplitSchedules,
} from '../../src/core/schedule';

const ALL_HOURS = Array.from({ length: 24 }, (_, h) => h);
const at = (iso: string) => new Date(iso);

describe('parseIsoDuration', () => {
  it.each([
    ['PT10M', 600],
    ['PT1H', 3600],
    ['P1D', 86_400],
    ['P1DT2H3M4S', 93_784],
    ['PT90S', 90],
    ['PT0S', 0],
    ['P14D', 1_209_600],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseIsoDuration(text, 'every')).toBe(seconds);
  });

  it.each([
    ['P1Y', /years, months or weeks/],
    ['P1M', /years, months or weeks/],
    ['P2W', /years, months or weeks/],
    ['P', /has no amount/],
    ['PT', /has no amount/],
    ['P1DT', /T with no hours/],
    ['PT1.5S', /whole numbers/],
    ['-PT1M', /not an ISO 8601 duration/],
    ['10M', /not an ISO 8601 duration/],
    ['', /not an ISO 8601 duration/],
    ['PT1M10H', /not an ISO 8601 duration/],
  ])('rejects %j', (text, message) => {
    expect(() => parseIsoDuration(text, 'split.every')).toThrow(ScheduleError);
    expect(() => parseIsoDuration(text, 'split.every')).toThrow(message);
    expect(() => parseIsoDuration(text, 'split.every')).toThrow(/^split\.every: /);
  });
});

describe('splitSchedules: drift-free forms', () => {
  it('splits a 10-minute cadence into minutes [0,20,40] and [10,30,50] every hour (the guidance example)', () => {
    const s = splitSchedules({ every: 'PT10M', anchor: '2024-01-01T09:00:00Z' });
    expect(s.form).toBe('minutes');
    expect(s.cadence).toEqual({ every: 'PT10M', seconds: 600 });
    expect(s.primaryActive).toEqual({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-01-01T09:00:00Z',
      schedule: { hours: ALL_HOURS, minutes: [0, 20, 40] },
    });
    expect(s.secondaryActive).toEqual({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-01-01T09:10:00Z',
      schedule: { hours: ALL_HOURS, minutes: [10, 30, 50] },
    });
    expect(s.secondaryPassive).toEqual(s.primaryActive);
    expect(s.primaryPassive).toEqual(s.secondaryActive);
    expect(s.secondaryAfterFailover.schedule).toEqual({ hours: ALL_HOURS, minutes: [0, 10, 20, 30, 40, 50] });
    expect(s.primaryAfterFailback).toEqual(s.primaryActive);
    expect(s.secondaryAfterFailback).toEqual(s.secondaryActive);
    // Every emitted recurrence is one the evaluator (and the service's documented rules) accept.
    for (const r of recurrencesOf(s)) expect(parseRecurrence(r, 'split')).toEqual(r);
  });

  it('respects the anchor offset (anchor at :05)', () => {
    const s = splitSchedules({ every: 'PT15M', anchor: '2024-01-01T09:05:00Z' });
    expect(s.primaryActive.schedule?.minutes).toEqual([5, 35]);
    expect(s.secondaryActive.schedule?.minutes).toEqual([20, 50]);
  });

  it('uses the hours form for whole-hour cadences (hourly: every other hour, on the anchor minute)', () => {
    const s = splitSchedules({ every: 'PT1H', anchor: '2024-01-01T09:15:00Z' });
    expect(s.form).toBe('hours');
    expect(s.primaryActive.schedule).toEqual({
      hours: [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23],
      minutes: [15],
    });
    expect(s.secondaryActive.schedule).toEqual({
      hours: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22],
      minutes: [15],
    });
    expect(s.secondaryAfterFailover.schedule).toEqual({ hours: ALL_HOURS, minutes: [15] });
  });

  it('splits a 12-hour cadence into one run a day per region', () => {
    const s = splitSchedules({ every: 'PT12H', anchor: '2024-01-01T06:00:00Z' });
    expect(s.form).toBe('hours');
    expect(s.primaryActive.schedule).toEqual({ hours: [6], minutes: [0] });
    expect(s.secondaryActive.schedule).toEqual({ hours: [18], minutes: [0] });
    expect(s.secondaryActive.startTime).toBe('2024-01-01T18:00:00Z');
  });

  it('passes the time zone through unchanged and says why it has no effect', () => {
    const s = splitSchedules({
      every: 'PT10M',
      anchor: '2024-01-01T09:00:00Z',
      timeZone: 'W. Europe Standard Time',
    });
    for (const r of recurrencesOf(s)) expect(r.timeZone).toBe('W. Europe Standard Time');
    expect(s.notes.join('\n')).toMatch(/written in UTC with Z/);
    expect(
      splitSchedules({ every: 'PT10M', anchor: '2024-01-01T09:00:00Z' }).primaryActive,
    ).not.toHaveProperty('timeZone');
  });

  it('accepts an anchor with a UTC offset', () => {
    const s = splitSchedules({ every: 'PT30M', anchor: '2024-01-01T10:00:00+01:00' });
    expect(s.primaryActive.startTime).toBe('2024-01-01T09:00:00Z');
    expect(s.primaryActive.schedule?.minutes).toEqual([0]);
    expect(s.secondaryActive.schedule?.minutes).toEqual([30]);
  });
});

describe('splitSchedules: anchored fallback and rejections', () => {
  it('falls back to anchored for a 7-minute cadence, with a note', () => {
    const s = splitSchedules({ every: 'PT7M', anchor: '2024-01-01T09:00:00Z' });
    expect(s.form).toBe('anchored');
    expect(s.primaryActive).toEqual({ frequency: 'Minute', interval: 14, startTime: '2024-01-01T09:00:00Z' });
    expect(s.secondaryActive).toEqual({
      frequency: 'Minute',
      interval: 14,
      startTime: '2024-01-01T09:07:00Z',
    });
    expect(s.secondaryAfterFailover).toEqual({
      frequency: 'Minute',
      interval: 7,
      startTime: '2024-01-01T09:00:00Z',
    });
    expect(s.notes[0]).toMatch(/anchored form, because .*7 min.*14 min/);
  });

  it.each([
    ['P1D', { frequency: 'Day', interval: 2 }, /longer than a day/],
    ['PT90M', { frequency: 'Hour', interval: 3 }, /90 min/],
    ['PT90S', { frequency: 'Minute', interval: 3 }, /whole number of minutes/],
    ['PT20M', { frequency: 'Minute', interval: 40 }, /20 min/],
  ])('falls back to anchored for %s', (every, unit, why) => {
    const s = splitSchedules({ every, anchor: '2024-01-01T00:00:00Z' });
    expect(s.form).toBe('anchored');
    expect(s.primaryActive).toMatchObject(unit);
    expect(s.notes[0]).toMatch(why);
  });

  it('falls back to anchored when the anchor has seconds', () => {
    const s = splitSchedules({ every: 'PT10M', anchor: '2024-01-01T09:00:30Z' });
    expect(s.form).toBe('anchored');
    expect(s.notes[0]).toMatch(/whole minute/);
  });

  it('gives the anchored form when asked, even where the schedule form is possible', () => {
    const s = splitSchedules({ every: 'PT10M', anchor: '2024-01-01T09:00:00Z', form: 'anchored' });
    expect(s.form).toBe('anchored');
    expect(s.primaryActive).toEqual({ frequency: 'Minute', interval: 20, startTime: '2024-01-01T09:00:00Z' });
  });

  it.each<[Partial<SplitScheduleInput>, RegExp]>([
    [{ every: 'PT30S' }, /every: "PT30S" is shorter than PT1M/],
    [{ every: 'PT7M', form: 'minutes' }, /form: 'minutes' is not possible for every PT7M/],
    [{ every: 'P1D', form: 'minutes' }, /form: 'minutes' .* longer than a day/],
    [{ every: 'P2Y' }, /every: .* years, months or weeks/],
    [{ every: 'P300D' }, /every: "P300D" is too long/],
    [{ anchor: '2024-01-01T09:00:00' }, /anchor: .* not an ISO timestamp with Z or an offset/],
    [{ anchor: '2024-02-30T09:00:00Z' }, /anchor: .* not a real date/],
    [{ anchor: '2024-01-01T09:00:00.5Z' }, /anchor: .* fractions of a second/],
    [{ form: 'hourly' as 'auto' }, /form: must be/],
    [{ timeZone: 'Mars Standard Time' }, /timeZone: unknown Windows time zone "Mars Standard Time"/],
  ])('rejects %j', (patch, message) => {
    const input: SplitScheduleInput = { every: 'PT10M', anchor: '2024-01-01T09:00:00Z', ...patch };
    expect(() => splitSchedules(input)).toThrow(ScheduleError);
    expect(() => splitSchedules(input)).toThrow(message);
  });
});

describe('slot grid', () => {
  const grid = { every: 'PT10M', anchor: '2024-01-01T09:00:00Z' };

  it('indexes aligned times and nothing else', () => {
    expect(slotIndex(grid, at('2024-01-01T09:00:00Z'))).toBe(0);
    expect(slotIndex(grid, at('2024-01-01T09:30:00Z'))).toBe(3);
    expect(slotIndex(grid, at('2024-01-02T09:00:00Z'))).toBe(144);
    expect(slotIndex(grid, at('2024-01-01T09:05:00Z'))).toBeUndefined();
    expect(slotIndex(grid, at('2024-01-01T08:50:00Z'))).toBeUndefined(); // before the anchor
  });

  it('finds the next boundary at or after a time', () => {
    expect(nextSlotBoundary(grid, at('2024-01-01T09:30:00Z'))).toEqual({
      at: at('2024-01-01T09:30:00Z'),
      index: 3,
    });
    expect(nextSlotBoundary(grid, at('2024-01-01T09:30:00.001Z'))).toEqual({
      at: at('2024-01-01T09:40:00Z'),
      index: 4,
    });
    expect(nextSlotBoundary(grid, at('2023-12-31T00:00:00Z'))).toEqual({
      at: at('2024-01-01T09:00:00Z'),
      index: 0,
    });
  });

  it('rejects a bad grid', () => {
    expect(() => slotIndex({ every: 'PT0S', anchor: grid.anchor }, at(grid.anchor))).toThrow(
      /every: .* longer than zero/,
    );
    expect(() => nextSlotBoundary({ every: 'PT10M', anchor: 'now' }, at(grid.anchor))).toThrow(/anchor:/);
  });
});

// ------------------------------------------------------------------------------------------------------
// Properties: the split, evaluated by the Recurrence evaluator, tiles the slot grid.
// ------------------------------------------------------------------------------------------------------

function recurrencesOf(s: SplitSchedules): Recurrence[] {
  return [
    s.primaryActive,
    s.primaryPassive,
    s.secondaryActive,
    s.secondaryPassive,
    s.secondaryAfterFailover,
    s.primaryAfterFailback,
    s.secondaryAfterFailback,
  ];
}

const MINUTE = 60_000;
const BASE = Date.parse('2020-01-01T00:00:00Z');

/** Cadences that fit the drift-free forms, and ones that do not (including seconds and multi-day ones). */
const cadenceSeconds = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(1, 2, 3, 4, 5, 6, 10, 12, 15, 30, 60, 120, 180, 240, 360, 720)
      .map((m) => m * 60),
  },
  fc.integer({ min: 1, max: 3000 }).map((m) => m * 60),
  fc.integer({ min: 60, max: 20_000 }),
  fc.integer({ min: 1, max: 5 }).map((d) => d * 86_400),
);

function isoDuration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const rest = seconds % 86_400;
  const h = Math.floor(rest / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const s = rest % 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  return `P${d ? `${d}D` : ''}${time ? `T${time}` : ''}`;
}

const splitCase = fc.record({
  seconds: cadenceSeconds,
  anchorMinute: fc.integer({ min: 0, max: 60 * 24 * 366 * 8 }),
  anchorSecond: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 59 })),
  timeZone: fc.option(fc.constantFrom(...Object.keys(WINDOWS_TIME_ZONES)), { nil: undefined }),
  // Window in slots relative to the anchor: may start before it; up to 60 slots long.
  fromSlot: fc.double({ min: -5, max: 400, noNaN: true }),
  slots: fc.double({ min: 0, max: 60, noNaN: true }),
});

describe('split properties', () => {
  it('normal operation, failover and failback each run every slot exactly once', () => {
    fc.assert(
      fc.property(splitCase, ({ seconds, anchorMinute, anchorSecond, timeZone, fromSlot, slots }) => {
        const anchorMs = BASE + anchorMinute * MINUTE + anchorSecond * 1000;
        const input: SplitScheduleInput = {
          every: isoDuration(seconds),
          anchor: new Date(anchorMs).toISOString(),
        };
        if (timeZone !== undefined) input.timeZone = timeZone;
        const s = splitSchedules(input);
        const step = seconds * 1000;
        const from = new Date(anchorMs + Math.round(fromSlot * step));
        const to = new Date(from.getTime() + Math.round(slots * step));
        const run = (r: Recurrence) => occurrencesBetween(r, from, to).map((d) => d.getTime());

        // The expected slots: anchor + k * cadence, k >= 0, inside (from, to].
        const expected: number[] = [];
        for (
          let k = Math.max(0, Math.floor((from.getTime() - anchorMs) / step));
          anchorMs + k * step <= to.getTime();
          k++
        ) {
          const t = anchorMs + k * step;
          if (t > from.getTime()) expected.push(t);
        }
        const merged = (a: number[], b: number[]) => [...a, ...b].sort((x, y) => x - y);
        const primary = run(s.primaryActive);
        const secondary = run(s.secondaryActive);

        // Before failover: each slot by exactly one region, the primary on even slots.
        expect(merged(primary, secondary)).toEqual(expected);
        for (const t of primary) expect(slotIndex(input, new Date(t))! % 2).toBe(0);
        for (const t of secondary) expect(slotIndex(input, new Date(t))! % 2).toBe(1);
        // After failover: the secondary alone, by twins or by the rewritten single workflow.
        expect(merged(secondary, run(s.secondaryPassive))).toEqual(expected);
        expect(run(s.secondaryAfterFailover)).toEqual(expected);
        // The symmetric twin, and failback restoring the split.
        expect(merged(primary, run(s.primaryPassive))).toEqual(expected);
        expect(run(s.primaryAfterFailback)).toEqual(primary);
        expect(run(s.secondaryAfterFailback)).toEqual(secondary);

        for (const r of recurrencesOf(s)) expect(r.timeZone).toBe(timeZone);
      }),
      { numRuns: 2000 },
    );
  });

  it('the anchored and drift-free forms give the same slots wherever both exist', () => {
    fc.assert(
      fc.property(splitCase, ({ seconds, anchorMinute, fromSlot, slots }) => {
        const input: SplitScheduleInput = {
          every: isoDuration(seconds),
          anchor: new Date(BASE + anchorMinute * MINUTE).toISOString(),
        };
        const auto = splitSchedules(input);
        const anchored = splitSchedules({ ...input, form: 'anchored' });
        expect(anchored.form).toBe('anchored');
        if (auto.form === 'anchored') {
          expect(() => splitSchedules({ ...input, form: 'minutes' })).toThrow(ScheduleError);
          return;
        }
        const step = seconds * 1000;
        const from = new Date(Date.parse(input.anchor) + Math.round(fromSlot * step));
        const to = new Date(from.getTime() + Math.round(slots * step) + 2 * 86_400_000);
        for (const key of [
          'primaryActive',
          'secondaryActive',
          'secondaryPassive',
          'secondaryAfterFailover',
        ] as const) {
          expect(occurrencesBetween(auto[key], from, to)).toEqual(
            occurrencesBetween(anchored[key], from, to),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});
