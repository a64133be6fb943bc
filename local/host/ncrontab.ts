/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC.
 * Fields accept `*`, numbers, lists (`1,5`), ranges (`1-5`), steps (`*\/15`, `10-50/10`) and
 * month / weekday names (`JAN`, `MON`). Like NCrontab (and unlike Vixie cron), a day must match BOTH the
 * day-of-month and the day-of-week field.
 */
import { NcrontabError } from './errors';

export interface NcrontabSchedule {
  readonly expression: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 0, max: 6, names: WEEKDAY_NAMES },
];

export function parseNcrontab(expression: string): NcrontabSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new NcrontabError(
      `NCRONTAB '${expression}' has ${parts.length} fields; the timer trigger needs 6: second minute hour day month day-of-week`,
    );
  }
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]!, expression));
  return {
    expression,
    seconds: sets[0]!,
    minutes: sets[1]!,
    hours: sets[2]!,
    days: sets[3]!,
    months: sets[4]!,
    weekdays: sets[5]!,
  };
}

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  const fail = (why: string): never => {
    throw new NcrontabError(`NCRONTAB '${expression}', ${spec.name} field '${text}': ${why}`);
  };
  const value = (token: string): number => {
    const upper = token.toUpperCase();
    const named = spec.names?.indexOf(upper) ?? -1;
    // Named months count from 1, named weekdays from 0.
    if (named >= 0) return spec.name === 'month' ? named + 1 : named;
    if (!/^\d+$/.test(token)) fail(`'${token}' is not a number`);
    const n = Number(token);
    if (n < spec.min || n > spec.max) fail(`${n} is outside ${spec.min}-${spec.max}`);
    return n;
  };
  for (const item of text.split(',')) {
    if (item === '') fail('empty list item');
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) fail(`'${item}' has more than one '/'`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        fail(`step '${stepText}' must be a positive number`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined || a === undefined || b === undefined) fail(`'${range}' is not a range`);
      from = value(a!);
      to = value(b!);
      if (from > to) fail(`range ${from}-${to} runs backwards`);
    } else {
      from = value(range!);
      // `5/10` means "from 5 to the maximum, every 10".
      to = stepText !== undefined ? spec.max : from;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

/**
 * The first occurrence strictly after `afterMs` (epoch milliseconds, UTC), or `undefined` when the
 * schedule never matches (e.g. `0 0 0 31 2 *`) within the search horizon of eight years.
 */
export function nextOccurrence(schedule: NcrontabSchedule, afterMs: number): number | undefined {
  const start = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  let [year, month, day] = [start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate()];
  let [hour, minute, second] = [start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds()];
  const lastYear = year + 8;
  // Walk from the largest unit down; a miss moves that unit on and resets the smaller ones, then carries.
  for (;;) {
    if (second > 59) [minute, second] = [minute + 1, 0];
    if (minute > 59) [hour, minute] = [hour + 1, 0];
    if (hour > 23) [day, hour] = [day + 1, 0];
    if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) [month, day] = [month + 1, 1];
    if (month > 12) [year, month] = [year + 1, 1];
    if (year > lastYear) return undefined;

    if (!schedule.months.has(month)) {
      [month, day, hour, minute, second] = [month + 1, 1, 0, 0, 0];
      continue;
    }
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    if (!schedule.days.has(day) || !schedule.weekdays.has(weekday)) {
      [day, hour, minute, second] = [day + 1, 0, 0, 0];
      continue;
    }
    const nextHour = firstAtLeast(schedule.hours, hour);
    if (nextHour === undefined) {
      [day, hour, minute, second] = [day + 1, 0, 0, 0];
      continue;
    }
    if (nextHour !== hour) [hour, minute, second] = [nextHour, 0, 0];
    const nextMinute = firstAtLeast(schedule.minutes, minute);
    if (nextMinute === undefined) {
      [hour, minute, second] = [hour + 1, 0, 0];
      continue;
    }
    if (nextMinute !== minute) [minute, second] = [nextMinute, 0];
    const nextSecond = firstAtLeast(schedule.seconds, second);
    if (nextSecond === undefined) {
      [minute, second] = [minute + 1, 0];
      continue;
    }
    return Date.UTC(year, month - 1, day, hour, minute, nextSecond);
  }
}

function firstAtLeast(values: ReadonlySet<number>, from: number): number | undefined {
  let best: number | undefined;
  for (const v of values) if (v >= from && (best === undefined || v < best)) best = v;
  return best;
}
