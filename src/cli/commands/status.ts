import { formatDuration } from '../../core/duration';
import type { StatusView } from '../../http/status-view';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS, REMOTE_OPTIONS_HELP, runRemote } from '../remote';

// Moved to ../remote with the rest of the remote commands' plumbing; test/cli/cli.test.ts imports it from here.
export { inCliTerms } from '../remote';

const usage = `Usage: dr status [--url URL] [--key KEY] [--json]

Asks the control plane (GET /api/status) what it sees: mode, active region, failures against the threshold,
recent probes, pause, the running and the last operation, pending fences and the predicted RTO.

${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

const ms = (n: number): string => formatDuration(n);

export function renderStatus(s: StatusView): string {
  const lines = [
    `plan ${s.planId}: ${s.mode.toUpperCase()}${s.moved && s.moved.extent !== 'all' ? ` (${s.moved.extent === 'none' ? 'NOTHING MOVED' : 'PARTIAL'})` : ''}, active region ${s.activeRegion} (${s.activeLocation})`,
    `  failures: ${s.failures.rule}`,
  ];
  if (s.monitor.lastCycle) lines.push(`  last cycle: ${s.monitor.lastCycle.reason}`);
  const probes = s.recentProbes.slice(-5);
  if (probes.length)
    lines.push(
      `  last probes: ${probes.map((p) => (p.healthy ? 'ok' : `FAIL(${p.failure ?? p.status ?? '?'})`)).join(' ')} (latest ${probes.at(-1)!.at})`,
    );
  if (s.withheld.length)
    lines.push(`  automatic failover withheld: ${s.withheld.map((w) => w.reason).join('; ')}`);
  if (s.pause) lines.push(`  paused until ${s.pause.until} by ${s.pause.by}: ${s.pause.reason}`);
  if (s.currentOperation)
    lines.push(
      `  running: ${s.currentOperation.direction} ${s.currentOperation.operationId} (${s.currentOperation.trigger}, since ${s.currentOperation.startedAt})${s.currentOperation.waiting ? `, ${s.currentOperation.waiting}` : ''}${
        s.currentOperation.stopping
          ? `; being ${s.currentOperation.stopping.outcome} by ${s.currentOperation.stopping.by} (${s.currentOperation.stopping.reason})${s.currentOperation.stopping.supersededBy ? `, then ${s.currentOperation.stopping.supersededBy} starts` : ''}`
          : ''
      }`,
    );
  if (s.lastOperation)
    lines.push(
      `  last operation: ${s.lastOperation.direction} ${s.lastOperation.operationId} ${s.lastOperation.outcome ?? 'running'}${s.lastOperation.finishedAt ? ` at ${s.lastOperation.finishedAt}` : ''}${s.lastOperation.measuredRtoMs !== undefined ? `, RTO ${ms(s.lastOperation.measuredRtoMs)}` : ''}`,
    );
  // What the operation behind the current mode did not move, else what the last operation did not.
  const notMoved = s.moved ? s.moved.notMoved : (s.lastOperation?.notMoved ?? []);
  if (s.moved && s.moved.extent !== 'all')
    lines.push(`  ${s.modeDetail}: ${s.moved.direction} ${s.moved.operationId}`);
  for (const n of notMoved) lines.push(`  not moved (${n.why}): ${n.entry}: ${n.reason}`);
  if (s.pendingFences.length) lines.push(`  pending fences: ${s.pendingFences.join(', ')}`);
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
