import { formatDuration } from '../../core/duration';
import type { HistoryPage } from '../../http/history';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { table } from '../table';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS, REMOTE_OPTIONS_HELP, remoteClient, runRemote } from './status';

const usage = `Usage: dr history [--limit N] [--before OPERATION_ID] [--url URL] [--key KEY] [--json]

Lists the plan's failovers and failbacks, newest first (GET /api/history): who asked and why, the outcome
and the measured RTO. dr operation ID shows one in full.

  --limit N              how many (1-100, default 20)
  --before OPERATION_ID  older than this one (the last line says what to pass for the next page)
${REMOTE_OPTIONS_HELP}

${REMOTE_EXIT_HELP}`;

export function renderHistory(page: HistoryPage): string {
  if (!page.items.length) return 'no failover or failback yet';
  const rows = page.items.map((i) => ({
    operation: i.operationId,
    status: i.status,
    kind: [i.trigger, i.kind].filter(Boolean).join(' '),
    by: i.by ?? '',
    started: i.startedAt,
    rto: i.measuredRtoMs !== undefined ? formatDuration(i.measuredRtoMs) : '',
    reason: i.error ? `${i.reason ?? ''} (error: ${i.error.split('\n')[0]})` : (i.reason ?? ''),
  }));
  return [table(rows), ...(page.nextBefore ? [`\nolder: dr history --before ${page.nextBefore}`] : [])].join(
    '\n',
  );
}

export const historyCommand: Command = {
  summary: 'list failovers and failbacks, newest first',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      ...REMOTE_OPTIONS,
      limit: { type: 'string' },
      before: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.limit !== undefined && !/^\d+$/.test(values.limit))
      throw new UsageError(`--limit must be a whole number from 1 to 100, not "${values.limit}"`);
    const api = remoteClient(values, io);
    return runRemote(
      io,
      'history',
      values.json,
      () => api.get('history', { limit: values.limit, before: values.before }),
      renderHistory,
    );
  },
};
