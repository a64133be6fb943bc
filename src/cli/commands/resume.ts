import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import type { PauseState } from './pause';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS_HELP, REQUEST_OPTIONS, postRequest } from '../remote';

const usage = `Usage: dr resume [--reason TEXT] [--idempotency-key KEY] [--url URL] [--key KEY] [--json]

Ends a pause now (POST /api/resume): automatic failover and failback apply again.

  --reason TEXT          why (optional; recorded)
  --idempotency-key KEY  repeat a request safely: the same key gets the first answer, with one effect
${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

type Pause = { until: string; by: string; reason: string };

export const renderResume = (s: PauseState & { endedPause?: Pause | null }) =>
  s.endedPause === null
    ? `nothing was paused; mode ${s.mode}`
    : s.endedPause
      ? `resumed (was paused until ${s.endedPause.until} by ${s.endedPause.by}: ${s.endedPause.reason}); mode ${s.mode}`
      : `resumed; mode ${s.mode}`;

export const resumeCommand: Command = {
  summary: 'end a pause now',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, REQUEST_OPTIONS);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const body = values.reason?.trim() ? { reason: values.reason } : {};
    return postRequest(io, 'resume', values, 'resume', body, renderResume);
  },
};
