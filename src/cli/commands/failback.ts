import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { renderAccepted, renderDryRun, requireReason } from './failover';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS_HELP, REQUEST_OPTIONS, postRequest } from '../remote';

const usage = `Usage: dr failback --reason TEXT [--force] [--dry-run] [--idempotency-key KEY] [--url URL] [--key KEY] [--json]

Asks the running control plane (POST /api/failback) to fail back to the primary region. The monitor refuses
while the primary has not answered the recovery threshold of healthy probes (and the soak time) unless --force.

  --reason TEXT          why (recorded in the audit record and every notification); required
  --force                fail back although the primary has not been healthy for long enough
  --dry-run              print what the failback would do now, or that the monitor would refuse it and why
                         (exit 1, as the request would be); changes nothing
  --idempotency-key KEY  repeat a request safely: the same key gets the first answer, with one effect
${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

export const failbackCommand: Command = {
  summary: 'ask the running control plane to fail back to the primary region',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      ...REQUEST_OPTIONS,
      force: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const reason = requireReason(values.reason);
    const dryRun = values['dry-run'] === true;
    const body = { reason, ...(values.force ? { force: true } : {}), ...(dryRun ? { dryRun } : {}) };
    return postRequest(
      io,
      'failback',
      values,
      'failback',
      body,
      dryRun ? renderDryRun : renderAccepted('failback'),
    );
  },
};
