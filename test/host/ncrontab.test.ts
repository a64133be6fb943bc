import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NcrontabError, nextOccurrence, parseNcrontab } from '../../local/host';

const at = (iso: string): number => Date.parse(iso);
const next = (expr: string, from: string): string | undefined => {
  const ms = nextOccurrence(parseNcrontab(expr), at(from));
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

describe('NCRONTAB', () => {
  test.each([
    ['0 */5 * * * *', '2025-01-01T00:01:00Z', '2025-01-01T00:05:00.000Z'],
    ['0 */5 * * * *', '2025-01-01T00:05:00Z', '2025-01-01T00:10:00.000Z'],
    ['*/15 * * * * *', '2025-01-01T00:00:14.900Z', '2025-01-01T00:00:15.000Z'],
    ['0 0 9-17/4 * * *', '2025-01-01T09:00:00Z', '2025-01-01T13:00:00.000Z'],
    ['0 30 2 1,15 * *', '2025-01-02T00:00:00Z', '2025-01-15T02:30:00.000Z'],
    ['0 0 0 * * MON', '2025-01-01T00:00:00Z', '2025-01-06T00:00:00.000Z'], // 2025-01-01 is a Wednesday
    ['0 0 12 * JUN *', '2025-01-01T00:00:00Z', '2025-06-01T12:00:00.000Z'],
    ['0 59 23 31 12 *', '2025-12-31T23:59:00Z', '2026-12-31T23:59:00.000Z'],
    ['0 0 0 29 2 *', '2025-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    // Day-of-month AND day-of-week: the 13th that is a Friday.
    ['0 0 0 13 * 5', '2025-01-01T00:00:00Z', '2025-06-13T00:00:00.000Z'],
    ['5/20 * * * * *', '2025-01-01T00:00:06Z', '2025-01-01T00:00:25.000Z'],
  ])('%s after %s is %s', (expr, from, expected) => {
    expect(next(expr, from)).toBe(expected);
  });

  test('a schedule that can never match has no next occurrence', () => {
    expect(next('0 0 0 31 2 *', '2025-01-01T00:00:00Z')).toBeUndefined();
  });

  test.each([
    ['0 */5 * * *', /has 5 fields/],
    ['60 * * * * *', /second field '60': 60 is outside 0-59/],
    ['0 0 25 * * *', /hour field/],
    ['0 0 0 * * 7', /day-of-week field '7'/],
    ['*/0 * * * * *', /step '0'/],
    ['0 0 0 5-1 * *', /runs backwards/],
    ['x * * * * *', /'x' is not a number/],
  ])('rejects %s', (expr, message) => {
    expect(() => parseNcrontab(expr)).toThrow(NcrontabError);
    expect(() => parseNcrontab(expr)).toThrow(message);
  });

  test('agrees with a second-by-second search for schedules that fire at least daily', () => {
    const field = (max: number) =>
      fc.oneof(
        fc.constant('*'),
        fc.integer({ min: 0, max }).map(String),
        fc.integer({ min: 1, max: 30 }).map((s) => `*/${s}`),
        fc
          .tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.uniqueArray(fc.integer({ min: 0, max }), { minLength: 1, maxLength: 4 }).map((xs) => xs.join(',')),
      );
    fc.assert(
      fc.property(
        field(59),
        field(59),
        field(23),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 0, 1) }),
        (s, m, h, from) => {
          const schedule = parseNcrontab(`${s} ${m} ${h} * * *`);
          let t = Math.floor(from / 1000) * 1000 + 1000;
          while (true) {
            const d = new Date(t);
            if (
              schedule.seconds.has(d.getUTCSeconds()) &&
              schedule.minutes.has(d.getUTCMinutes()) &&
              schedule.hours.has(d.getUTCHours())
            ) {
              break;
            }
            t += 1000;
          }
          expect(nextOccurrence(schedule, from)).toBe(t);
        },
      ),
      { numRuns: 40 },
    );
  });
});
