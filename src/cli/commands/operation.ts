import { formatDuration } from '../../core/duration';
import type { EntryResult, RunsInFlight } from '../../core/operation-record';
import type { OperationRecord } from '../../durable/contracts';
import { progressOf, waitingOf } from '../../http/status-view';
import { notMovedLine, progressLines } from '../operation-lines';
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
    override?: string[];
  };
  /** The running operation's live status (its custom status). */
  live?: unknown;
  record?: Partial<OperationRecord>;
  error?: string;
}

const ms = (n: number | undefined) => (n === undefined ? '?' : formatDuration(n));

/** Runs listed at most in the text; --json has them all. */
const RUNS_SHOWN = 20;

/** The runs the region being left had in flight: what to resubmit, or why they could not be listed. */
function runsLines(runs: RunsInFlight | undefined): string[] {
  if (!runs) return [];
  const where = `${runs.region}${runs.location ? ` (${runs.location})` : ''}`;
  if (runs.error)
    return [`  runs to resubmit: not known: ${runs.error} (read the ${where} run history by hand)`];
  const lines = [
    `  runs to resubmit: ${runs.runs.length + runs.more} run(s) were in flight in ${where} at ${runs.at}${runs.runs.length ? ':' : ''}`,
  ];
  for (const r of runs.runs.slice(0, RUNS_SHOWN))
    lines.push(
      `    ${r.entry}: ${r.workflow} run ${r.runId}${r.startTime ? ` started ${r.startTime}` : ''}${r.trigger ? ` by ${r.trigger}` : ''}`,
    );
  const more = runs.more + Math.max(0, runs.runs.length - RUNS_SHOWN);
  if (more) lines.push(`    and ${more} more (--json lists those it read)`);
  for (const u of runs.unlisted) lines.push(`    not listed: ${u}`);
  return lines;
}

/** An entry's result on one line: its block, or its steps, and each distinct error once. */
function entryLine(e: EntryResult): string {
  const errors = [...new Set(e.steps.flatMap((st) => (st.error ? [st.error] : [])))].filter(
    (err) => !e.blocked?.includes(err),
  );
  const steps = e.steps.map((st) => st.status).join(', ');
  return `  group ${e.group} ${e.entry}: ${e.blocked ? `BLOCKED (${e.blocked})` : steps || 'no steps'}${errors.length ? `; ${errors.join('; ')}` : ''}${e.overrideUsed ? `; override used: ${e.overrideUsed}` : ''}`;
}

export function renderOperation(o: OperationReply): string {
  const r = o.request;
  const lines = [
    `${o.operationId}: ${o.status.toUpperCase()} (${o.runtimeStatus}), started ${o.createdAt}, updated ${o.updatedAt}`,
  ];
  if (r)
    lines.push(
      `  ${[r.trigger, r.kind, r.direction].filter(Boolean).join(' ')} asked by ${r.caller?.by ?? '?'}: ${r.caller?.reason ?? ''}${r.override?.length ? ` (override: ${r.override.join(', ')})` : ''}`,
    );
  // Live: what it is doing now (the audit record exists only once it has ended).
  const { progress } = progressOf(o.live);
  const wait = waitingOf(o.live);
  for (const line of progressLines(
    progress,
    wait.waiting ? { says: wait.waiting, until: wait.waitingUntil } : undefined,
  ))
    lines.push(`  ${line}`);
  const record = o.record;
  for (const e of record?.entries ?? []) lines.push(entryLine(e));
  if (record?.stopped) {
    const st = record.stopped;
    lines.push(
      `  stopped: ${st.outcome} by ${st.caller.by} (${st.caller.reason}) at ${st.at}${st.supersededBy ? `; superseded by ${st.supersededBy}` : ''}`,
    );
    if (st.notRun.length) lines.push(`  not run (the stop left them undone): ${st.notRun.join(', ')}`);
  }
  // A partial operation says so, entry by entry (the audit record's own list).
  const movedNothing =
    record?.moved === 'none' || (record?.status !== 'running' && record?.entries?.length === 0);
  if (record?.moved && record.moved !== 'all') lines.push(`  moved: ${movedNothing ? 'NOTHING' : 'PARTIAL'}`);
  else if (movedNothing) lines.push('  moved: NOTHING');
  for (const n of record?.notMoved ?? []) lines.push(`  ${notMovedLine(n)}`);
  if (record?.pendingFences?.length)
    lines.push(`  pending fences: ${record.pendingFences.map((f) => f.label).join(', ')}`);
  lines.push(...runsLines(record?.runsInFlight));
  if (record?.rto)
    lines.push(
      movedNothing
        ? '  RTO: none (nothing moved)'
        : `  RTO measured ${ms(record.rto.measuredMs)} (from the ${record.rto.basis === 'request' ? 'request' : 'first failed probe'}), predicted ${ms(record.rto.predictedMs)}`,
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
