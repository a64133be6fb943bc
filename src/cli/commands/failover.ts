import { SAFETY_RULES } from '../../core/safety';
import type { OperationPlan } from '../../core/planner';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS_HELP, REQUEST_OPTIONS, postRequest } from '../remote';
import { renderOperationPlan } from './whatif';

const RULES = Object.values(SAFETY_RULES) as string[];

const usage = `Usage: dr failover --reason TEXT [--kind planned|emergency] [--override RULE]... [--dry-run]
                   [--idempotency-key KEY] [--url URL] [--key KEY] [--json]

Asks the running control plane (POST /api/failover) to fail over to the secondary region now. The monitor
refuses while another operation runs or when the plan is already failed over. With --override, it supersedes
a running operation: that one stops at its next step boundary, then this one starts (break-glass).

  --reason TEXT          why (recorded in the audit record and every notification); required
  --kind                 planned (default: split entries switch just after a slot boundary) or emergency (at once)
  --override RULE        break-glass: let the failover break this safety rule (${RULES.join(', ')}); repeatable
  --dry-run              print what the failover would do now from the live workflow states, or that the
                         monitor would refuse it and why (exit 1, as the request would be); changes nothing
  --idempotency-key KEY  repeat a request safely: the same key gets the first answer, with one effect
${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

export interface Accepted {
  operationId: string;
  location: string;
  /** A break-glass failover: the running operation it replaces (runbook §3). */
  supersedes?: string;
}

export const renderAccepted = (direction: string) => (a: Accepted) =>
  `${direction} ${a.operationId} started${a.supersedes ? ` (it supersedes ${a.supersedes})` : ''}; follow it with: dr status (or GET ${a.location})`;

export const renderDryRun = (d: { plan: OperationPlan; unreadable: string[]; supersedes?: string }) =>
  `DRY RUN: nothing was changed${d.supersedes ? `; it would supersede ${d.supersedes}, which stops at its next step boundary first` : ''}\n${renderOperationPlan(d.plan)}${d.unreadable.length ? `\nunreadable (their region's ARM did not answer): ${d.unreadable.join(', ')}` : ''}`;

export function requireReason(reason: string | undefined): string {
  if (!reason?.trim()) throw new UsageError('--reason is required: say why (it goes into the audit record)');
  return reason;
}

export const failoverCommand: Command = {
  summary: 'ask the running control plane to fail over now (or --dry-run to see what it would do)',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      ...REQUEST_OPTIONS,
      kind: { type: 'string' },
      override: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const reason = requireReason(values.reason);
    const kind = values.kind ?? 'planned';
    if (kind !== 'planned' && kind !== 'emergency')
      throw new UsageError(`--kind must be planned or emergency, not "${kind}"`);
    const override = values.override ?? [];
    for (const rule of override)
      if (!RULES.includes(rule))
        throw new UsageError(`--override "${rule}" is not a safety rule; known rules: ${RULES.join(', ')}`);
    const dryRun = values['dry-run'] === true;
    const body = { reason, kind, ...(override.length ? { override } : {}), ...(dryRun ? { dryRun } : {}) };
    return postRequest(
      io,
      'failover',
      values,
      'failover',
      body,
      dryRun ? renderDryRun : renderAccepted('failover'),
    );
  },
};
