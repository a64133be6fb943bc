/**
 * When does a Logic Apps Recurrence trigger fire? A pure evaluator of the `recurrence` object of a workflow
 * definition, used to fire triggers on a virtual clock and to check split schedules.
 *
 * Semantics, from Microsoft Learn ("Schedule and run recurring workflows with the Recurrence trigger" and
 * "Schedules for recurring triggers in Azure Logic Apps workflows"), plus the assumptions we had to make:
 * - Simple recurrences (no `schedule`, or frequency Second/Minute/Hour) fire at base + k * interval * frequency,
 *   k >= 0, where base is `startTime`. The service computes the next run from the last run, so real runs can
 *   drift by latency; we model the ideal anchored grid. Day/Week/Month step in local calendar days/months and
 *   keep the base's wall-clock time; Month steps from the base each time and clamps to the month's last day
 *   (Jan 31 -> Feb 29 -> Mar 31), like .NET `AddMonths`.
 * - `schedule.hours` / `schedule.minutes` apply to Day and Week, `weekDays` to Week, `monthDays` to Month.
 *   The service ignores `schedule` for Second/Minute/Hour, and so do we. Missing hours (minutes) default to the
 *   base's hour (minute); scheduled times fire at second 0 (our assumption: the schedule's unit is a minute).
 *   A scheduled time fires "no sooner than" `startTime`. Week periods start on Sunday (our assumption; it only
 *   matters for Week with interval > 1), counted from the week holding the base.
 * - Without `startTime` the service anchors at the time the workflow was saved and runs once immediately.
 *   That time is not in the definition, so callers pass it as `anchor`: the anchor itself is an occurrence.
 * - `timeZone` (a Windows id) applies only when `startTime` has no `Z` or UTC offset; a `Z` makes the service
 *   ignore it, and without `startTime` it does not apply either. Wall-clock times that do not exist (the
 *   spring-forward gap) move forward by the gap; ambiguous ones (the autumn repeat) take the first instant.
 * - `endTime` is inclusive: nothing fires after it.
 */

export type RecurrenceFrequency = 'Second' | 'Minute' | 'Hour' | 'Day' | 'Week' | 'Month';

export const RECURRENCE_FREQUENCIES: readonly RecurrenceFrequency[] = [
  'Second',
  'Minute',
  'Hour',
  'Day',
  'Week',
  'Month',
];

/** The Logic Apps `recurrence` object as written in workflow definitions. */
export interface Recurrence {
  frequency: RecurrenceFrequency;
  interval: number;
  startTime?: string;
  endTime?: string;
  timeZone?: string;
  schedule?: { hours?: number[]; minutes?: number[]; weekDays?: string[]; monthDays?: number[] };
}

/** A recurrence object that is malformed or that this evaluator cannot evaluate. */
export class RecurrenceError extends Error {
  override readonly name = 'RecurrenceError';
}

/** Documented interval limits per frequency (Recurrence trigger reference). */
export const MAX_INTERVAL: Readonly<Record<RecurrenceFrequency, number>> = {
  Second: 9_999_999,
  Minute: 72_000,
  Hour: 12_000,
  Day: 500,
  Week: 71,
  Month: 16,
};

/** Windows time zone ids we can evaluate, mapped to IANA names for `Intl`. */
export const WINDOWS_TIME_ZONES: Readonly<Record<string, string>> = {
  UTC: 'UTC',
  'W. Europe Standard Time': 'Europe/Berlin',
  'GMT Standard Time': 'Europe/London',
  'Romance Standard Time': 'Europe/Paris',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'Pacific Standard Time': 'America/Los_Angeles',
  'India Standard Time': 'Asia/Kolkata',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'AUS Eastern Standard Time': 'Australia/Sydney',
};

export const WEEK_DAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

const MS_PER_DAY = 86_400_000;
const UNIT_MS: Readonly<Record<'Second' | 'Minute' | 'Hour', number>> = {
  Second: 1000,
  Minute: 60_000,
  Hour: 3_600_000,
};
const DEFAULT_LIMIT = 10_000;
/** How far `nextOccurrence` looks ahead before concluding that a schedule never fires again. */
const NEXT_OCCURRENCE_HORIZON_MS = 100 * 366 * MS_PER_DAY;

// ---------------------------------------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------------------------------------

const RECURRENCE_KEYS = new Set(['frequency', 'interval', 'startTime', 'endTime', 'timeZone', 'schedule']);
const SCHEDULE_KEYS = new Set(['hours', 'minutes', 'weekDays', 'monthDays']);

function fail(where: string, field: string, message: string): never {
  throw new RecurrenceError(`${where}.${field}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a `recurrence` object from a workflow definition and returns it normalised (frequency and week
 * days capitalised, scalar hours/minutes/days wrapped in arrays). Throws RecurrenceError naming `where` and
 * the field.
 */
export function parseRecurrence(value: unknown, where: string): Recurrence {
  if (!isRecord(value)) {
    throw new RecurrenceError(`${where}: a recurrence must be an object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!RECURRENCE_KEYS.has(key)) fail(where, key, 'is not a recurrence property');
  }

  const frequency = parseFrequency(value.frequency, where);
  const interval = value.interval;
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1) {
    fail(where, 'interval', `must be an integer >= 1, got ${describe(interval)}`);
  }
  if (interval > MAX_INTERVAL[frequency]) {
    fail(where, 'interval', `must be at most ${MAX_INTERVAL[frequency]} for frequency ${frequency}`);
  }

  const result: Recurrence = { frequency, interval };
  if (value.timeZone !== undefined) {
    if (typeof value.timeZone !== 'string' || WINDOWS_TIME_ZONES[value.timeZone] === undefined) {
      fail(
        where,
        'timeZone',
        `unknown Windows time zone ${describe(value.timeZone)}; known: ${Object.keys(WINDOWS_TIME_ZONES).join(', ')}`,
      );
    }
    result.timeZone = value.timeZone;
  }
  for (const field of ['startTime', 'endTime'] as const) {
    const raw = value[field];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || parseDateTime(raw) === undefined) {
      fail(where, field, `must be an ISO 8601 date-time like 2024-01-01T09:00:00Z, got ${describe(raw)}`);
    }
    result[field] = raw;
  }
  if (value.schedule !== undefined) result.schedule = parseSchedule(value.schedule, where);
  return result;
}

function parseFrequency(value: unknown, where: string): RecurrenceFrequency {
  const match =
    typeof value === 'string'
      ? RECURRENCE_FREQUENCIES.find((f) => f.toLowerCase() === value.toLowerCase())
      : undefined;
  if (match === undefined) {
    fail(where, 'frequency', `must be one of ${RECURRENCE_FREQUENCIES.join(', ')}, got ${describe(value)}`);
  }
  return match;
}

function parseSchedule(value: unknown, where: string): NonNullable<Recurrence['schedule']> {
  if (!isRecord(value)) fail(where, 'schedule', `must be an object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (key === 'monthlyOccurrences') {
      fail(where, 'schedule.monthlyOccurrences', 'is not supported by this evaluator');
    }
    if (!SCHEDULE_KEYS.has(key)) fail(where, `schedule.${key}`, 'is not a schedule property');
  }
  const schedule: NonNullable<Recurrence['schedule']> = {};
  const ints = (field: 'hours' | 'minutes' | 'monthDays', ok: (n: number) => boolean, range: string) => {
    const raw = value[field];
    if (raw === undefined) return undefined;
    const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    if (list.length === 0) fail(where, `schedule.${field}`, 'must not be empty');
    return list.map((n) => {
      if (typeof n !== 'number' || !Number.isInteger(n) || !ok(n)) {
        fail(where, `schedule.${field}`, `each value must be an integer ${range}, got ${describe(n)}`);
      }
      return n;
    });
  };
  const hours = ints('hours', (n) => n >= 0 && n <= 23, 'from 0 to 23');
  const minutes = ints('minutes', (n) => n >= 0 && n <= 59, 'from 0 to 59');
  const monthDays = ints('monthDays', (n) => n !== 0 && n >= -31 && n <= 31, 'from 1 to 31 or -31 to -1');
  if (hours) schedule.hours = hours;
  if (minutes) schedule.minutes = minutes;
  if (monthDays) schedule.monthDays = monthDays;
  if (value.weekDays !== undefined) {
    const raw = value.weekDays;
    const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    if (list.length === 0) fail(where, 'schedule.weekDays', 'must not be empty');
    schedule.weekDays = list.map((d) => {
      const day =
        typeof d === 'string' ? WEEK_DAYS.find((w) => w.toLowerCase() === d.toLowerCase()) : undefined;
      if (day === undefined) {
        fail(where, 'schedule.weekDays', `each value must be a day name like Monday, got ${describe(d)}`);
      }
      return day;
    });
  }
  return schedule;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch (err) {
    if (err instanceof TypeError) return typeof value; // a cycle or a bigint: JSON.stringify's TypeError
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Civil (wall-clock) time and zones
// ---------------------------------------------------------------------------------------------------------

interface Civil {
  /** Days since 1970-01-01 of the local calendar date. */
  day: number;
  /** Milliseconds since local midnight. */
  ms: number;
}

interface ParsedDateTime {
  civil: Civil;
  /** Offset from UTC in ms when the string carries `Z` or `+hh:mm`; undefined for a bare local time. */
  offsetMs: number | undefined;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Parses an ISO 8601 date-time, with or without `Z`/offset; undefined when malformed or impossible. */
function parseDateTime(text: string): ParsedDateTime | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo - 1) || h > 23 || mi > 59 || s > 59)
    return undefined;
  let offsetMs: number | undefined;
  const zone = m[8];
  if (zone === 'Z') offsetMs = 0;
  else if (zone !== undefined) {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMs = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return {
    civil: { day: Date.UTC(y, mo - 1, d) / MS_PER_DAY, ms: ((h * 60 + mi) * 60 + s) * 1000 + frac },
    offsetMs,
  };
}

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** A time zone that turns wall-clock times into instants and back. */
interface Zone {
  toInstant(civil: Civil): number;
  toCivil(instant: number): Civil;
}

const UTC_ZONE: Zone = {
  toInstant: (c) => c.day * MS_PER_DAY + c.ms,
  toCivil: (t) => ({ day: Math.floor(t / MS_PER_DAY), ms: mod(t, MS_PER_DAY) }),
};

const ianaZones = new Map<string, Zone>();

function ianaZone(name: string): Zone {
  const cached = ianaZones.get(name);
  if (cached) return cached;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  /** Local time minus UTC, in ms, at an instant. */
  const offsetAt = (t: number): number => {
    const whole = t - mod(t, 1000);
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(whole)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const local = Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
    return local - whole;
  };
  const zone: Zone = {
    toCivil: (t) => UTC_ZONE.toCivil(t + offsetAt(t)),
    toInstant: (c) => {
      const asUtc = UTC_ZONE.toInstant(c);
      const before = offsetAt(asUtc - MS_PER_DAY);
      const after = offsetAt(asUtc + MS_PER_DAY);
      // Each offset in force around this wall time gives a candidate; a real one maps back to itself.
      const valid = [...new Set([before, after])]
        .map((offset) => asUtc - offset)
        .filter((t) => offsetAt(t) === asUtc - t);
      if (valid.length > 0) return Math.min(...valid); // ambiguous: the first instant
      return asUtc - before; // in the gap: the old offset moves the time forward by the gap
    },
  };
  ianaZones.set(name, zone);
  return zone;
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------------

interface Resolved {
  zone: Zone;
  /** The first instant of the grid: startTime, or the anchor. */
  base: number;
  baseCivil: Civil;
  hasStartTime: boolean;
  end: number;
}

function resolve(r: Recurrence, anchor: Date | undefined): Resolved {
  const checked = parseRecurrence(r, 'recurrence');
  const start = checked.startTime === undefined ? undefined : parseDateTime(checked.startTime);
  const localZone =
    checked.timeZone === undefined ? UTC_ZONE : ianaZone(WINDOWS_TIME_ZONES[checked.timeZone] ?? 'UTC');
  // The time zone applies only to a startTime written as bare local time.
  const zone = start !== undefined && start.offsetMs === undefined ? localZone : UTC_ZONE;
  const toInstant = (p: ParsedDateTime) =>
    p.offsetMs === undefined ? zone.toInstant(p.civil) : UTC_ZONE.toInstant(p.civil) - p.offsetMs;

  let base: number;
  if (start !== undefined) base = toInstant(start);
  else if (anchor !== undefined && Number.isFinite(anchor.getTime())) base = anchor.getTime();
  else {
    throw new RecurrenceError(
      'recurrence.startTime: absent, so pass the anchor (the time the workflow was saved or enabled)',
    );
  }
  const endParsed = checked.endTime === undefined ? undefined : parseDateTime(checked.endTime);
  return {
    zone,
    base,
    baseCivil: zone.toCivil(base),
    hasStartTime: start !== undefined,
    end: endParsed === undefined ? Infinity : toInstant(endParsed),
  };
}

/**
 * Fire times t with from < t <= to, ascending, at most `limit` (default 10000).
 * `anchor` stands for the time the workflow was saved or enabled and is used only when `startTime` is absent
 * (then it is also the first occurrence: the service runs such a workflow immediately).
 */
export function occurrencesBetween(
  r: Recurrence,
  from: Date,
  to: Date,
  limit: number = DEFAULT_LIMIT,
  anchor?: Date,
): Date[] {
  const ctx = resolve(r, anchor);
  const lo = from.getTime();
  const hi = Math.min(to.getTime(), ctx.end);
  if (!(hi > lo) || limit <= 0) return [];
  const out: Date[] = [];
  let last = -Infinity;
  const emit = (t: number): boolean => {
    if (t > hi) return false;
    if (t > lo && t > last) {
      out.push(new Date(t));
      last = t;
    }
    return out.length < limit;
  };
  const usesSchedule =
    r.schedule !== undefined && (r.frequency === 'Day' || r.frequency === 'Week' || r.frequency === 'Month');
  if (usesSchedule) scheduled(r, ctx, lo, hi, emit);
  else simple(r, ctx, lo, emit);
  return out;
}

/** Next fire time strictly after `after`, or undefined (endTime passed). See `occurrencesBetween` for `anchor`. */
export function nextOccurrence(r: Recurrence, after: Date, anchor?: Date): Date | undefined {
  const horizon = new Date(after.getTime() + NEXT_OCCURRENCE_HORIZON_MS);
  return occurrencesBetween(r, after, horizon, 1, anchor)[0];
}

/** base + k * step for Second/Minute/Hour (elapsed time); Day/Week/Month keep the base's wall-clock time. */
function simple(r: Recurrence, ctx: Resolved, lo: number, emit: (t: number) => boolean): void {
  if (r.frequency === 'Second' || r.frequency === 'Minute' || r.frequency === 'Hour') {
    const step = r.interval * UNIT_MS[r.frequency];
    for (let k = Math.max(0, Math.floor((lo - ctx.base) / step)); ; k++) {
      if (!emit(ctx.base + k * step)) return;
    }
  }
  const { day, ms } = ctx.baseCivil;
  if (r.frequency === 'Day' || r.frequency === 'Week') {
    const stepDays = r.interval * (r.frequency === 'Week' ? 7 : 1);
    // Start one step early: a DST shift moves instants by hours, never by a whole step.
    const k0 = Math.max(0, Math.floor((lo - ctx.base) / (stepDays * MS_PER_DAY)) - 1);
    for (let k = k0; ; k++) {
      if (!emit(ctx.zone.toInstant({ day: day + k * stepDays, ms }))) return;
    }
  }
  const baseMonth = monthIndexOf(day);
  const baseDayOfMonth = dayOfMonth(day);
  const k0 = Math.max(0, Math.floor((monthIndexOf(UTC_ZONE.toCivil(lo).day) - baseMonth) / r.interval) - 1);
  for (let k = k0; ; k++) {
    const month = baseMonth + k * r.interval;
    const d = Math.min(baseDayOfMonth, monthLength(month));
    if (!emit(ctx.zone.toInstant({ day: firstDayOfMonth(month) + d - 1, ms }))) return;
  }
}

/** Day/Week/Month with a schedule: every `interval` periods from the base's period, the scheduled times. */
function scheduled(r: Recurrence, ctx: Resolved, lo: number, hi: number, emit: (t: number) => boolean): void {
  const schedule = r.schedule ?? {};
  const baseMinutes = Math.floor(ctx.baseCivil.ms / 60_000);
  const hours = schedule.hours ?? [Math.floor(baseMinutes / 60)];
  const minutes = schedule.minutes ?? [baseMinutes % 60];
  const times = [...new Set(hours.flatMap((h) => minutes.map((m) => (h * 60 + m) * 60_000)))].sort(
    (a, b) => a - b,
  );

  // Without startTime the service runs once right away, then on the schedule.
  if (!ctx.hasStartTime && !emit(ctx.base)) return;

  const baseDay = ctx.baseCivil.day;
  const loDay = UTC_ZONE.toCivil(lo).day;
  const hiDay = UTC_ZONE.toCivil(hi).day + 2; // wall-clock dates run at most a day ahead of UTC
  let periods: Iterable<number[]>;
  if (r.frequency === 'Day') {
    const k0 = Math.max(0, Math.floor((loDay - baseDay) / r.interval) - 2);
    periods = periodsOf(
      k0,
      (k) => baseDay + k * r.interval,
      hiDay,
      (start) => [start],
    );
  } else if (r.frequency === 'Week') {
    const weekDays = new Set(
      schedule.weekDays?.map((name) =>
        WEEK_DAYS.findIndex((w) => w.toLowerCase() === name.toLowerCase()),
      ) ?? [weekDayOf(baseDay)],
    );
    const weekStart = baseDay - weekDayOf(baseDay);
    const stepDays = 7 * r.interval;
    const k0 = Math.max(0, Math.floor((loDay - weekStart) / stepDays) - 1);
    periods = periodsOf(
      k0,
      (k) => weekStart + k * stepDays,
      hiDay,
      (start) => [0, 1, 2, 3, 4, 5, 6].map((i) => start + i).filter((d) => weekDays.has(weekDayOf(d))),
    );
  } else {
    const baseMonth = monthIndexOf(baseDay);
    const monthDays = schedule.monthDays ?? [dayOfMonth(baseDay)];
    const k0 = Math.max(0, Math.floor((monthIndexOf(loDay) - baseMonth) / r.interval) - 1);
    periods = periodsOf(
      k0,
      (k) => firstDayOfMonth(baseMonth + k * r.interval),
      hiDay,
      (start) => {
        const length = monthLength(monthIndexOf(start));
        const days = monthDays
          .map((d) => (d > 0 ? d : length + d + 1))
          .filter((d) => d >= 1 && d <= length)
          .map((d) => start + d - 1);
        return [...new Set(days)].sort((a, b) => a - b);
      },
    );
  }
  for (const days of periods) {
    const instants = days
      .flatMap((day) => times.map((ms) => ctx.zone.toInstant({ day, ms })))
      .filter((t) => t >= ctx.base)
      .sort((a, b) => a - b);
    for (const t of instants) if (!emit(t)) return;
  }
}

/** The candidate days of period k, k0, k0+1, ... until a period starts after `lastDay`. */
function* periodsOf(
  k0: number,
  startOf: (k: number) => number,
  lastDay: number,
  daysOf: (start: number) => number[],
): Generator<number[]> {
  for (let k = k0; startOf(k) <= lastDay; k++) yield daysOf(startOf(k));
}

function weekDayOf(day: number): number {
  return mod(day + 4, 7); // 1970-01-01 was a Thursday; Sunday is 0
}

/** Months since January 1970 of a day number. */
function monthIndexOf(day: number): number {
  const d = new Date(day * MS_PER_DAY);
  return (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth();
}

function dayOfMonth(day: number): number {
  return new Date(day * MS_PER_DAY).getUTCDate();
}

function firstDayOfMonth(monthIndex: number): number {
  return Date.UTC(1970 + Math.floor(monthIndex / 12), mod(monthIndex, 12), 1) / MS_PER_DAY;
}

function monthLength(monthIndex: number): number {
  return daysInMonth(1970 + Math.floor(monthIndex / 12), mod(monthIndex, 12));
}
