import { splitSchedules } from '../../core/schedule';
import { parseCommandArgs } from '../args';
import { EXIT, UsageError, type CliIo } from '../io';
import type { Command } from '../command';

/** Slot 0 of the default grid; any midnight works the same for cadences that divide a day. */
export const DEFAULT_ANCHOR = '2024-01-01T00:00:00Z';

const usage = `Usage: dr schedule --every DURATION [--start ISO] [--form anchored|minutes|auto] [--time-zone ID]

Computes split Recurrence schedules: the primary runs even slots of the cadence, the secondary odd slots,
each at twice the cadence. Prints JSON: the recurrence objects for primaryActive, primaryPassive,
secondaryActive, secondaryPassive, what the secondary runs after failover, and the split restored by failback.

  --every      the cadence both regions cover together, e.g. PT10M
  --start      the time of slot 0 (default ${DEFAULT_ANCHOR})
  --form       anchored (startTime), minutes (drift-free schedule), or auto (default: drift-free where possible)
  --time-zone  a Windows time zone id, passed through into every recurrence

Exit codes: 0 ok, 2 invalid arguments.`;

export const scheduleCommand: Command = {
  summary: 'compute split Recurrence schedules for a cadence (JSON on stdout)',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      every: { type: 'string' },
      start: { type: 'string' },
      form: { type: 'string' },
      'time-zone': { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.every) throw new UsageError('--every is required, e.g. --every PT10M');
    const form = values.form ?? 'auto';
    if (form !== 'anchored' && form !== 'minutes' && form !== 'auto') {
      throw new UsageError(`--form must be anchored, minutes or auto, not "${form}"`);
    }
    const start = values.start ?? DEFAULT_ANCHOR;
    if (Number.isNaN(Date.parse(start)) || !/^\d{4}-\d{2}-\d{2}T/.test(start)) {
      throw new UsageError(`--start must be an ISO 8601 timestamp such as ${DEFAULT_ANCHOR}, not "${start}"`);
    }
    const schedules = splitSchedules({
      every: values.every,
      anchor: start,
      form,
      ...(values['time-zone'] ? { timeZone: values['time-zone'] } : {}),
    });
    io.out(JSON.stringify(schedules, null, 2));
    return EXIT.ok;
  },
};
