import { durationMs, DurationError } from '../../core/duration';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { requireReason } from './failover';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS_HELP, REQUEST_OPTIONS, postRequest } from '../remote';

const usage = `Usage: dr pause (--until ISO | --for DURATION) --reason TEXT [--idempotency-key KEY] [--url URL] [--key KEY] [--json]

Pauses automatic failover and failback (POST /api/pause); probing goes on and manual commands still work.
The pause ends by itself at --until (at most the plan's policy.maxPause ahead) or earlier with dr resume.

  --until ISO            end of the pause, e.g. 2026-03-02T18:00:00Z
  --for DURATION         or a duration from now, e.g. PT1H or PT30M
  --reason TEXT          why; required
  --idempotency-key KEY  repeat a request safely: the same key gets the first answer, with one effect
${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

export interface PauseState {
  mode: string;
  pause: { until: string; by: string; reason: string } | null;
}

export const renderPause = (s: PauseState) =>
  s.pause
    ? `paused until ${s.pause.until} by ${s.pause.by}: ${s.pause.reason}`
    : `not paused; mode ${s.mode}`;

export const pauseCommand: Command = {
  summary: 'pause automatic failover and failback until a time',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      ...REQUEST_OPTIONS,
      until: { type: 'string' },
      for: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if ((values.until === undefined) === (values.for === undefined))
      throw new UsageError('say how long: exactly one of --until ISO or --for DURATION');
    const reason = requireReason(values.reason);
    let until: string;
    if (values.for !== undefined) {
      try {
        until = new Date(Date.now() + durationMs(values.for, '--for')).toISOString();
      } catch (err) {
        if (err instanceof DurationError) throw new UsageError(err.message);
        throw err;
      }
    } else {
      until = values.until!;
      if (Number.isNaN(Date.parse(until)))
        throw new UsageError(`--until "${until}" is not an ISO 8601 date-time, e.g. 2026-03-02T18:00:00Z`);
    }
    return postRequest(io, 'pause', values, 'pause', { reason, until }, renderPause);
  },
};
