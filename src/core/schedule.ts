/**
 * Split Recurrence schedules: the primary and secondary regions each run every other slot of a cadence, so a
 * regional outage loses at most one slot before failover and no slot ever runs twice.
 *
 * Slots are the instants anchor + k * cadence, k >= 0, in absolute (UTC) time. The twin scheme: each region
 * has an *active* twin (enabled in normal operation) and a *passive* twin (disabled until the other region
 * fails):
 * - primaryActive fires the even slots, secondaryActive the odd slots: together, every slot exactly once;
 * - secondaryPassive fires the even slots and is enabled at failover, so with secondaryActive the secondary
 *   alone covers every slot; failback disables it again;
 * - primaryPassive fires the odd slots, the symmetric twin for when the secondary region is the one that fails.
 */
import { DurationError, durationMs } from './duration';
import {
  MAX_INTERVAL,
  occurrencesBetween,
  parseRecurrence,
  RecurrenceError,
  type Recurrence,
  type RecurrenceFrequency,
  WINDOWS_TIME_ZONES,
} from './recurrence';

export interface SplitScheduleInput {
  /** ISO 8601 duration of the cadence, e.g. "PT10M", "PT1H", "P1D". */
  every: string;
  /** ISO timestamp with `Z` or an offset: slot 0 (primary runs even slots, secondary odd slots). */
  anchor: string;
  /** Windows time zone id, passed through untouched into every recurrence. */
  timeZone?: string;
  /** Default 'auto': the drift-free `schedule` form where possible, else anchored. */
  form?: 'anchored' | 'minutes' | 'auto';
}

export interface SplitSchedules {
  cadence: { every: string; seconds: number };
  primaryActive: Recurrence;
  primaryPassive: Recurrence;
  secondaryActive: Recurrence;
  secondaryPassive: Recurrence;
  /** Rewrite mode: the single secondary workflow covering every slot. */
  secondaryAfterFailover: Recurrence;
  /** The restored split (= primaryActive). */
  primaryAfterFailback: Recurrence;
  /** The restored split (= secondaryActive). */
  secondaryAfterFailback: Recurrence;
  form: 'anchored' | 'minutes' | 'hours';
  /** Why the drift-free form was or was not used, and other things an operator should know. */
  notes: string[];
}

/** A split-schedule input that is malformed or cannot be split. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const MIN_CADENCE_SECONDS = 60;
const MINUTES_PER_DAY = 1440;
const SECONDS_PER_DAY = 86_400;

/** Seconds in an ISO 8601 duration of the form PnDTnHnMnS (whole numbers; no years, months or weeks). */
export function parseIsoDuration(value: string, where: string): number {
  let ms: number;
  try {
    ms = durationMs(value, where);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new ScheduleError(err.message);
  }
  if (ms % 1000 !== 0)
    throw new ScheduleError(`${where}: ${JSON.stringify(value)} must be in whole numbers of seconds`);
  return ms / 1000;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

function parseAnchor(value: string, where: string): number {
  const m = INSTANT.exec(value);
  if (!m) {
    throw new ScheduleError(
      `${where}: ${JSON.stringify(value)} is not an ISO timestamp with Z or an offset, e.g. 2024-01-01T09:00:00Z`,
    );
  }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new ScheduleError(`${where}: ${JSON.stringify(value)} is not a real date and time`);
  }
  if (m[7] !== undefined && Number(m[7]) !== 0) {
    throw new ScheduleError(
      `${where}: ${JSON.stringify(value)} has fractions of a second; use whole seconds`,
    );
  }
  const zone = m[8] ?? 'Z';
  const offsetMinutes =
    zone === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  return ms - offsetMinutes * 60_000;
}

function parseGrid(input: Pick<SplitScheduleInput, 'every' | 'anchor'>): {
  anchorMs: number;
  stepMs: number;
} {
  const seconds = parseIsoDuration(input.every, 'every');
  if (seconds <= 0) throw new ScheduleError(`every: ${JSON.stringify(input.every)} must be longer than zero`);
  return { anchorMs: parseAnchor(input.anchor, 'anchor'), stepMs: seconds * 1000 };
}

/** Slot index of a time on the cadence grid (integer when aligned, else undefined; slots start at the anchor). */
export function slotIndex(input: Pick<SplitScheduleInput, 'every' | 'anchor'>, at: Date): number | undefined {
  const { anchorMs, stepMs } = parseGrid(input);
  const offset = at.getTime() - anchorMs;
  if (!Number.isFinite(offset) || offset < 0 || offset % stepMs !== 0) return undefined;
  return offset / stepMs;
}

/**
 * First slot boundary at or after `at`, and its index: used to switch schedules at a boundary. Before the
 * anchor this is slot 0, since the split recurrences only start there.
 */
export function nextSlotBoundary(
  input: Pick<SplitScheduleInput, 'every' | 'anchor'>,
  at: Date,
): { at: Date; index: number } {
  const { anchorMs, stepMs } = parseGrid(input);
  const t = at.getTime();
  if (!Number.isFinite(t)) throw new ScheduleError(`at: not a valid time`);
  const index = Math.max(0, Math.ceil((t - anchorMs) / stepMs));
  return { at: new Date(anchorMs + index * stepMs), index };
}

/** Primary, secondary and after-failover recurrences for a cadence; see the twin scheme at the top. */
export function splitSchedules(input: SplitScheduleInput): SplitSchedules {
  const seconds = parseIsoDuration(input.every, 'every');
  if (seconds < MIN_CADENCE_SECONDS) {
    throw new ScheduleError(
      `every: ${JSON.stringify(input.every)} is shorter than PT1M; splitting a sub-minute cadence across regions is not supported`,
    );
  }
  const anchorMs = parseAnchor(input.anchor, 'anchor');
  const requested = input.form ?? 'auto';
  if (!['anchored', 'minutes', 'auto'].includes(requested)) {
    throw new ScheduleError(
      `form: must be 'anchored', 'minutes' or 'auto', got ${JSON.stringify(requested)}`,
    );
  }
  if (input.timeZone !== undefined && WINDOWS_TIME_ZONES[input.timeZone] === undefined) {
    // Checked here so a plan fails early, not when the recurrence is first evaluated.
    throw new ScheduleError(
      `timeZone: unknown Windows time zone ${JSON.stringify(input.timeZone)}; known: ${Object.keys(WINDOWS_TIME_ZONES).join(', ')}`,
    );
  }

  const notes: string[] = [];
  const evenStart = anchorMs;
  const oddStart = anchorMs + seconds * 1000;
  const withZone = (r: Recurrence): Recurrence =>
    input.timeZone === undefined ? r : { ...r, timeZone: input.timeZone };

  let form: SplitSchedules['form'];
  let twin: (startMs: number) => Recurrence;
  let everySlot: Recurrence;

  const blocker = requested === 'anchored' ? undefined : driftFreeBlocker(seconds, anchorMs);
  if (requested !== 'anchored' && blocker === undefined) {
    const cadenceMinutes = seconds / 60;
    form = 60 % (2 * cadenceMinutes) === 0 ? 'minutes' : 'hours';
    twin = (startMs) => ({
      frequency: 'Day',
      interval: 1,
      startTime: formatInstant(startMs),
      schedule: daySchedule(2 * cadenceMinutes, minuteOfDay(startMs)),
    });
    everySlot = {
      frequency: 'Day',
      interval: 1,
      startTime: formatInstant(anchorMs),
      schedule: daySchedule(cadenceMinutes, minuteOfDay(anchorMs)),
    };
    notes.push(
      `drift-free ${form} form: frequency Day with schedule hours/minutes (Logic Apps honours a schedule only for Day and Week), so runs stay on the slot grid`,
    );
  } else {
    if (requested === 'minutes') {
      throw new ScheduleError(`form: 'minutes' is not possible for every ${input.every}: ${blocker ?? ''}`);
    }
    notes.push(blocker === undefined ? 'anchored form, as requested' : `anchored form, because ${blocker}`);
    form = 'anchored';
    const pair = anchoredUnit(2 * seconds, input.every);
    twin = (startMs) => ({ ...pair, startTime: formatInstant(startMs) });
    everySlot = { ...anchoredUnit(seconds, input.every), startTime: formatInstant(anchorMs) };
    notes.push(
      'anchored runs can drift: without a schedule Logic Apps computes each run from the last run time, so latency can move later runs off the slot grid',
    );
  }
  if (input.timeZone !== undefined) {
    notes.push(
      `timeZone ${JSON.stringify(input.timeZone)} is passed through, but every startTime is written in UTC with Z, which makes Logic Apps ignore the time zone: slots stay on the UTC grid and do not move with daylight saving time`,
    );
  }

  const primaryActive = withZone(twin(evenStart));
  const secondaryActive = withZone(twin(oddStart));
  return {
    cadence: { every: input.every, seconds },
    primaryActive,
    primaryPassive: withZone(twin(oddStart)),
    secondaryActive,
    secondaryPassive: withZone(twin(evenStart)),
    secondaryAfterFailover: withZone(everySlot),
    primaryAfterFailback: withZone(twin(evenStart)),
    secondaryAfterFailback: withZone(twin(oddStart)),
    form,
    notes,
  };
}

/** A step in minutes is expressible as a daily hours x minutes schedule when it divides an hour or is whole hours dividing a day. */
function expressibleAsDaySchedule(stepMinutes: number): boolean {
  return 60 % stepMinutes === 0 || (stepMinutes % 60 === 0 && MINUTES_PER_DAY % stepMinutes === 0);
}

/** Why the drift-free form cannot express this split, or undefined when it can. */
function driftFreeBlocker(seconds: number, anchorMs: number): string | undefined {
  if (2 * seconds > SECONDS_PER_DAY) {
    return `twice the cadence (${2 * seconds} s) is longer than a day, which a daily schedule cannot express`;
  }
  if (seconds % 60 !== 0) return 'the cadence is not a whole number of minutes';
  if (anchorMs % 60_000 !== 0) return 'the anchor is not on a whole minute (schedules fire at second 0)';
  const minutes = seconds / 60;
  if (!expressibleAsDaySchedule(2 * minutes) || !expressibleAsDaySchedule(minutes)) {
    return `the cadence (${minutes} min) and twice the cadence (${2 * minutes} min) must each divide an hour or be whole hours dividing a day`;
  }
  return undefined;
}

/** hours x minutes firing every `stepMinutes` from `startMinute` (minute of the day), wrapped to one day. */
function daySchedule(stepMinutes: number, startMinute: number): { hours: number[]; minutes: number[] } {
  const all = Array.from(
    { length: MINUTES_PER_DAY / stepMinutes },
    (_, j) => (startMinute + j * stepMinutes) % MINUTES_PER_DAY,
  );
  const unique = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  return { hours: unique(all.map((m) => Math.floor(m / 60))), minutes: unique(all.map((m) => m % 60)) };
}

/** The largest unit that divides the period exactly, within the service's interval limits. */
function anchoredUnit(
  periodSeconds: number,
  every: string,
): { frequency: RecurrenceFrequency; interval: number } {
  const units: [RecurrenceFrequency, number][] = [
    ['Day', SECONDS_PER_DAY],
    ['Hour', 3600],
    ['Minute', 60],
    ['Second', 1],
  ];
  for (const [frequency, unitSeconds] of units) {
    if (periodSeconds % unitSeconds !== 0) continue;
    const interval = periodSeconds / unitSeconds;
    if (interval <= MAX_INTERVAL[frequency]) return { frequency, interval };
  }
  throw new ScheduleError(
    `every: ${JSON.stringify(every)} is too long: a period of ${periodSeconds} s exceeds the Recurrence interval limits (at most ${MAX_INTERVAL.Day} days)`,
  );
}

function minuteOfDay(ms: number): number {
  const minutes = Math.floor(ms / 60_000);
  return ((minutes % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
}

function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** Which of the first `slots` slots a recurrence fires (used to compare recurrences by effect, not by text). */
export function slotsFired(
  recurrence: unknown,
  schedule: { every: string; anchor: string },
  slots = 8,
): number[] | undefined {
  let r: Recurrence;
  try {
    r = parseRecurrence(recurrence, 'recurrence');
  } catch (err) {
    if (err instanceof RecurrenceError) return undefined; // not a recurrence we can evaluate: no slots to compare
    throw err;
  }
  const every = durationMs(schedule.every);
  // Look a day ahead of the anchor so anchored and schedule forms are both in their steady state.
  const origin = Date.parse(schedule.anchor) + Math.ceil(86_400_000 / every) * every;
  const times = occurrencesBetween(r, new Date(origin - 1), new Date(origin + slots * every - 1), slots * 4);
  return times.map((t) => Math.round((t.getTime() - origin) / every)).filter((i) => i >= 0 && i < slots);
}
