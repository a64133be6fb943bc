/**
 * The watchdog's NCRONTAB schedule for a plan's probe interval: the one implementation behind `npm start`
 * (local demo and Azure mode) and the azd preprovision hook (infra/hooks/preprovision.mjs sets
 * DR_WATCHDOG_SCHEDULE from it), so a deployed watchdog ticks at the cadence the plan asks for.
 */
import { durationMs } from '../core/duration';

export class WatchdogScheduleError extends Error {
  override readonly name = 'WatchdogScheduleError';
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Tick periods an NCRONTAB step can keep regular: divisors of a minute, of an hour, of a day. */
const DIVISORS_OF_60 = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const DIVISORS_OF_24 = [1, 2, 3, 4, 6, 8, 12];
const PERIODS: { ms: number; cron: string }[] = [
  ...DIVISORS_OF_60.map((n) => ({ ms: n * SECOND, cron: n === 1 ? '* * * * * *' : `*/${n} * * * * *` })),
  ...DIVISORS_OF_60.map((n) => ({ ms: n * MINUTE, cron: n === 1 ? '0 * * * * *' : `0 */${n} * * * *` })),
  ...DIVISORS_OF_24.map((n) => ({ ms: n * HOUR, cron: n === 1 ? '0 0 * * * *' : `0 0 */${n} * * *` })),
  { ms: 24 * HOUR, cron: '0 0 0 * * *' },
];

/**
 * NCRONTAB (with seconds) for a watchdog that ticks once per probe interval, e.g. `*\/10 * * * * *` for PT10S
 * and `0 *\/5 * * * *` for PT5M. The monitor probes once per interval of orchestration time however many
 * ticks arrive, so when the interval is not a regular NCRONTAB step (PT45S, PT90S) the watchdog ticks at the
 * longest regular period below it (30 s, 1 min): every probe cycle still gets a tick, never a late one.
 */
export function watchdogScheduleFor(probeInterval: string): string {
  const ms = durationMs(probeInterval, 'policy.probeInterval');
  if (ms < SECOND)
    throw new WatchdogScheduleError(
      `policy.probeInterval ${probeInterval} is under one second: the watchdog timer ticks in whole seconds`,
    );
  return PERIODS.filter((p) => p.ms <= ms).at(-1)!.cron;
}
