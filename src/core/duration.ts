/** ISO 8601 durations as the plan writes them (`PT30S`, `PT10M`, `P1D`, `P1DT12H`). */

// Days, hours, minutes, seconds only: years, months and weeks have no fixed length in seconds.
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Whether `value` is a duration this project accepts (PnDTnHnMnS). */
export function isIsoDuration(value: string): boolean {
  try {
    durationMs(value);
    return true;
  } catch (err) {
    if (err instanceof DurationError) return false;
    throw err;
  }
}

/** Milliseconds in an ISO 8601 duration; throws DurationError naming `where` and what is wrong. */
export function durationMs(value: string, where = 'duration'): number {
  const bad = (why: string): never => {
    throw new DurationError(`${where}: ${JSON.stringify(value)} ${why}`);
  };
  const m = ISO_DURATION.exec(value);
  if (!m) {
    if (/^P.*[YW]/.test(value) || /^P[^T]*\d+M/.test(value)) {
      bad('uses years, months or weeks, which have no fixed length; write days, e.g. P7D');
    }
    return bad('is not an ISO 8601 duration of the form PnDTnHnMnS, e.g. PT30S, PT10M or P1DT12H');
  }
  if (m.slice(1).every((part) => part === undefined)) bad('has no amount');
  if (value.endsWith('T')) bad('has a T with no hours, minutes or seconds after it');
  const [d, h, min, sec] = m.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number];
  const ms = Math.round((((d * 24 + h) * 60 + min) * 60 + sec) * 1000);
  if (!Number.isSafeInteger(ms)) bad('is too long');
  return ms;
}

/** Renders milliseconds back as a compact ISO 8601 duration (for summaries and notifications). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return 'PT0S';
  let rest = Math.round(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
