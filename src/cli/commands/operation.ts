import { formatDuration } from '../../core/duration';
import type { OperationRecord } from '../../durable/contracts';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS, REMOTE_OPTIONS_HELP, runRemote } from '../remote';

const usage = `Usage: dr operation ID [--url URL] [--key KEY] [--json]

Shows one failover or failback (GET /api/operations/{id}): live while it runs, its audit record when it has
finished (the outcome, each entry's result, pending fences, the measured and predicted RTO). --json prints
the whole record. IDs are in dr status and dr history.

${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

interface OperationReply {
  operationId: string;
  runtimeStatus: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  request?: {
    direction?: string;
    kind?: string;
    trigger?: string;
    caller?: { by?: string; reason?: string };
  };
  record?: Partial<OperationRecord>;
  error?: string;
}

const ms = (n: number | undefined) => (n === undefined ? '?' : formatDuration(n));

export function renderOperation(o: OperationReply): string {
  const r = o.request;
  const lines = [
    `${o.operationId}: ${o.status.toUpperCase()} (${o.runtimeStatus}), started ${o.createdAt}, updated ${o.updatedAt}`,
  ];
  if (r)
    lines.push(
      `  ${[r.trigger, r.kind, r.direction].filter(Boolean).join(' ')} asked by ${r.caller?.by ?? '?'}: ${r.caller?.reason ?? ''}`,
    );
  const record = o.record;
  for (const e of record?.entries ?? []) {
    const failed = e.steps.filter((st) => st.error);
    const steps = e.steps.map((st) => st.status).join(', ');
    lines.push(
      `  group ${e.group} ${e.entry}: ${e.blocked ? `BLOCKED (${e.blocked})` : steps || 'no steps'}${failed.length ? `; ${failed.map((f) => f.error).join('; ')}` : ''}`,
    );
  }
  // A partial operation says so, entry by entry (the audit record's own list).
  if (record?.moved && record.moved !== 'all')
    lines.push(`  moved: ${record.moved === 'none' ? 'NOTHING' : 'PARTIAL'}`);
  for (const n of record?.notMoved ?? []) lines.push(`  not moved (${n.why}): ${n.entry}: ${n.reason}`);
  if (record?.pendingFences?.length)
    lines.push(`  pending fences: ${record.pendingFences.map((f) => f.label).join(', ')}`);
  if (record?.rto)
    lines.push(
      `  RTO measured ${ms(record.rto.measuredMs)} (from the ${record.rto.basis === 'request' ? 'request' : 'first failed probe'}), predicted ${ms(record.rto.predictedMs)}`,
    );
  if (o.error ?? record?.error) lines.push(`  error: ${o.error ?? record?.error}`);
  if (record) lines.push('  (--json prints the whole audit record)');
  return lines.join('\n');
}

export const operationCommand: Command = {
  summary: 'show one failover or failback: live, or its audit record',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, REMOTE_OPTIONS);
    const [id, extra] = positionals;
    if (!id) throw new UsageError('say which operation: dr operation ID (IDs are in dr history)');
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    const path = `operations/${encodeURIComponent(id)}`;
    return runRemote(io, 'operation', values, (api) => api.get(path), renderOperation);
  },
};
