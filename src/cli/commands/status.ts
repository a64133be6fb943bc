import { formatDuration } from '../../core/duration';
import type { StatusView } from '../../http/status-view';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { notMovedLine, progressLines } from '../operation-lines';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS, REMOTE_OPTIONS_HELP, runRemote } from '../remote';

// Moved to ../remote with the rest of the remote commands' plumbing; test/cli/cli.test.ts imports it from here.
export { inCliTerms } from '../remote';

const usage = `Usage: dr status [--url URL] [--key KEY] [--json]

Asks the control plane (GET /api/status) what it sees: mode, active region, failures against the threshold,
recent probes, pause, the running and the last operation, pending fences and the predicted RTO.

${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

const ms = (n: number): string => formatDuration(n);

type Op = NonNullable<StatusView['lastOperation']>;

/**
 * The first line: the mode (under a pause, the mode beneath it too), what qualifies it (a partial move, fences
 * still pending: both regions may run), and the active region.
 */
function header(s: StatusView): string {
  const qualifiers = [
    ...(s.moved && s.moved.extent !== 'all' ? [s.moved.extent === 'none' ? 'NOTHING MOVED' : 'PARTIAL'] : []),
    ...(s.pendingFences.length
      ? [
          `${s.pendingFences.length} FENCE${s.pendingFences.length === 1 ? '' : 'S'} PENDING: BOTH REGIONS MAY RUN`,
        ]
      : []),
  ];
  const mode = (s.pausedMode ?? s.mode).toUpperCase();
  const paused = s.pausedMode && s.pause ? `, PAUSED until ${s.pause.until}` : '';
  return `plan ${s.planId}: ${mode}${qualifiers.length ? ` (${qualifiers.join('; ')})` : ''}${paused}, active region ${s.activeRegion} (${s.activeLocation})`;
}

/** An ended operation's RTO: none for one that moved nothing (a cancel, a supersede, a failed failback). */
function rtoWords(
  o: { moved?: string | undefined; measuredRtoMs?: number | undefined },
  predictedMs?: number,
): string {
  if (o.moved === 'none') return ', moved nothing (no RTO)';
  if (o.measuredRtoMs === undefined) return '';
  return `, RTO ${ms(o.measuredRtoMs)}${predictedMs !== undefined ? ` (predicted ${ms(predictedMs)})` : ''}`;
}

function operationLine(label: string, o: Op, predictedMs?: number): string {
  return `  ${label}: ${o.direction} ${o.operationId} ${o.outcome ?? 'running'}${o.finishedAt ? ` at ${o.finishedAt}` : ''}${rtoWords(o, predictedMs)}${o.override?.length ? `; override used: ${o.override.join(', ')}` : ''}`;
}

export function renderStatus(s: StatusView): string {
  const lines = [header(s), `  failures: ${s.failures.rule}`];
  if (s.monitor.lastCycle) lines.push(`  last cycle: ${s.monitor.lastCycle.reason}`);
  const probes = s.recentProbes.slice(-5);
  if (probes.length)
    lines.push(
      `  last probes: ${probes.map((p) => (p.healthy ? 'ok' : `FAIL(${p.failure ?? p.status ?? '?'})`)).join(' ')} (latest ${probes.at(-1)!.at})`,
    );
  if (s.withheld.length)
    lines.push(`  automatic failover withheld: ${s.withheld.map((w) => w.reason).join('; ')}`);
  if (s.pause) lines.push(`  paused until ${s.pause.until} by ${s.pause.by}: ${s.pause.reason}`);
  const current = s.currentOperation;
  if (current) {
    lines.push(
      `  running: ${current.direction} ${current.operationId} (${current.trigger}, since ${current.startedAt})${current.waiting ? `, ${current.waiting}` : ''}${
        current.stopping
          ? `; being ${current.stopping.outcome} by ${current.stopping.by} (${current.stopping.reason})${current.stopping.supersededBy ? `, then ${current.stopping.supersededBy} starts` : ''}`
          : ''
      }`,
    );
    // Its progress; the wait is on the line above already.
    for (const line of progressLines(current.progress)) lines.push(`    ${line}`);
  }
  const last = s.lastOperation;
  const lastFailover = s.lastFailover;
  const moved = s.moved;
  // The operation behind the mode, when the last operation is another one (a failed failback after a failover).
  if (moved && moved.operationId !== last?.operationId) {
    if (s.modeDetail !== s.mode) lines.push(`  ${s.modeDetail}: ${moved.direction} ${moved.operationId}`);
    if (moved.override?.length)
      lines.push(`  ${moved.direction} ${moved.operationId} used override: ${moved.override.join(', ')}`);
    for (const n of moved.notMoved) lines.push(`    ${notMovedLine(n)}`);
  }
  if (last) {
    const sameFailover = lastFailover?.operationId === last.operationId;
    lines.push(
      operationLine('last operation', last, sameFailover ? lastFailover?.predictedRtoMs : undefined),
    );
    // Its own list: the last operation's reasons, never an earlier operation's.
    const own = moved?.operationId === last.operationId ? moved : undefined;
    if (own && s.modeDetail !== s.mode) lines.push(`    ${s.modeDetail}`);
    for (const n of own ? own.notMoved : (last.notMoved ?? [])) lines.push(`    ${notMovedLine(n)}`);
    if (last.error) lines.push(`    error: ${last.error}`);
  }
  // Kept after a failback: the measured RTO to compare with the predicted one (runbook §6).
  if (lastFailover && lastFailover.operationId !== last?.operationId)
    lines.push(
      operationLine(
        'last failover',
        { ...lastFailover, direction: 'failover' as const, outcome: lastFailover.outcome },
        lastFailover.predictedRtoMs,
      ),
    );
  if (s.pendingFences.length)
    lines.push(
      `  pending fences (not disabled yet, may still run; each is fenced when its region's ARM answers): ${s.pendingFences.join(', ')}`,
    );
  if (s.pendingSwitches.length) lines.push(`  pending switches: ${s.pendingSwitches.join(', ')}`);
  for (const d of s.drift ?? []) lines.push(`  drift: ${d}`);
  lines.push(
    `  predicted RTO ${ms(s.predictedRto.totalMs)}: detection ${s.predictedRto.detection}; actuation ~${ms(s.predictedRto.actuationMs)}${s.predictedRto.automaticFailover ? '' : ' (automatic failover is OFF: an operator decides)'}`,
    `  monitor ${s.monitor.runtimeStatus}, ${s.monitor.probes} probes, updated ${s.monitor.updatedAt}${s.monitor.warning ? `\n  WARNING: ${s.monitor.warning}` : ''}`,
  );
  return lines.join('\n');
}

export const statusCommand: Command = {
  summary: 'show what the running control plane sees (mode, failures, pause, operations, RTO)',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, REMOTE_OPTIONS);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return runRemote(io, 'status', values, (api) => api.get('status'), renderStatus);
  },
};
