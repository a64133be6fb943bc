/** ISO 8601 durations as the plan writes them (`PT30S`, `PT10M`, `P1D`, `P1DT12H`). */

// Days, hours, minutes, seconds only: years, months and weeks have no fixed length in seconds.
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Whether `value` is a duration this project accepts (non-zero, PnDTnHnMnS). */
export function isIsoDuration(value: string): boolean {
  const m = ISO_DURATION.exec(value);
  return m !== null && value !== 'P' && !value.endsWith('T') && m.slice(1).some((g) => g !== undefined);
}

/** Milliseconds in an ISO 8601 duration; throws DurationError naming `where` when it is not one. */
export function durationMs(value: string, where = 'duration'): number {
  const m = ISO_DURATION.exec(value);
  if (!m || !isIsoDuration(value)) {
    throw new DurationError(
      `${where}: "${value}" is not an ISO 8601 duration such as PT30S, PT10M, PT1H or P1D (years, months and weeks are not accepted)`,
    );
  }
  const [, d, h, min, s] = m;
  const seconds =
    Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(min ?? 0) * 60 + Number(s ?? 0);
  return Math.round(seconds * 1000);
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
