import { OperationIdSchema } from '../../http/schemas';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { requireReason } from './failover';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS_HELP, REQUEST_OPTIONS, postRequest } from '../remote';

const usage = `Usage: dr cancel OPERATION_ID --reason TEXT [--idempotency-key KEY] [--url URL] [--key KEY] [--json]

Cancels the running failover or failback (POST /api/operations/{id}/cancel). It stops at its next step
boundary: a fence being retried gives up (what it protects is not activated), the groups not begun do not
run; what it did stays, recorded step by step. Its outcome is "cancelled".

To replace a running failover rather than stop it, ask for a break-glass failover instead:
dr failover --kind emergency --override no-dual-active --reason TEXT (it supersedes the running one).
While the primary still fails, pause first (dr pause) or the monitor starts a new failover at the next probe.

  --reason TEXT          why (recorded in the audit record and the notification); required
  --idempotency-key KEY  repeat a request safely: the same key gets the first answer, with one effect
${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

export const renderCancelling = (c: { operationId: string; location: string }) =>
  `${c.operationId} is cancelling: it stops at its next step boundary; follow it with: dr operation ${c.operationId} (or GET ${c.location})`;

export const cancelCommand: Command = {
  summary: 'cancel the running failover or failback at its next step boundary',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, REQUEST_OPTIONS);
    const [id, extra] = positionals;
    if (id === undefined) throw new UsageError('say which operation: dr cancel OPERATION_ID (see dr status)');
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    if (!OperationIdSchema.safeParse(id).success)
      throw new UsageError(`"${id}" is not an operation id (e.g. failover-1-20260302T081500)`);
    const reason = requireReason(values.reason);
    return postRequest(io, 'cancel', values, `operations/${id}/cancel`, { reason }, renderCancelling);
  },
};
