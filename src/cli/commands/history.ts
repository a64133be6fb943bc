import { formatDuration } from '../../core/duration';
import type { HistoryPage, RequestsPage } from '../../http/history';
import { parseCommandArgs } from '../args';
import { UsageError, type CliIo } from '../io';
import type { Command } from '../command';
import { table } from '../table';
import { REMOTE_EXIT_HELP, REMOTE_OPTIONS, REMOTE_OPTIONS_HELP, runRemote } from '../remote';

const usage = `Usage: dr history [--requests] [--limit N] [--before ID] [--url URL] [--key KEY] [--json]

Lists the plan's failovers and failbacks, newest first (GET /api/history): who asked and why, the outcome
and the measured RTO. dr operation ID shows one in full. With --requests: the operators' pauses, resumes
and failover or failback requests, refused ones included, with who asked, why, when and the answer
(GET /api/requests).

  --requests             the requests and their answers instead of the operations
  --limit N              how many (1-100, default 20)
  --before ID            older than this operation (or request, with --requests): the last line says what
                         to pass for the next page
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
    // An operation that moved nothing (a cancel, a supersede, a failed failback) recovered nothing: no RTO.
    rto: i.moved === 'none' ? 'none' : i.measuredRtoMs !== undefined ? formatDuration(i.measuredRtoMs) : '',
    reason: i.error ? `${i.reason ?? ''} (error: ${i.error.split('\n')[0]})` : (i.reason ?? ''),
  }));
  return [table(rows), ...(page.nextBefore ? [`\nolder: dr history --before ${page.nextBefore}`] : [])].join(
    '\n',
  );
}

/** One line per request: when, what, who, the answer (and why), and the request's own reason. */
export function renderRequests(page: RequestsPage): string {
  if (!page.items.length) return 'no pause, resume, failover or failback request yet';
  const rows = page.items.map((i) => ({
    at: i.at,
    request: [i.request, i.kind, i.force ? 'force' : undefined, i.until ? `until ${i.until}` : undefined]
      .filter(Boolean)
      .join(' '),
    by: i.by,
    answer: [
      i.answer,
      i.operationId,
      i.answerReason ? `(${i.answerReason})` : undefined,
      i.endedPause ? `(ended the pause until ${i.endedPause.until} by ${i.endedPause.by})` : undefined,
    ]
      .filter(Boolean)
      .join(' '),
    reason: i.reason,
  }));
  return [
    table(rows),
    ...(page.nextBefore ? [`\nolder: dr history --requests --before ${page.nextBefore}`] : []),
  ].join('\n');
}

export const historyCommand: Command = {
  summary: 'list failovers and failbacks, newest first',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      ...REMOTE_OPTIONS,
      limit: { type: 'string' },
      before: { type: 'string' },
      requests: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.limit !== undefined && !/^\d+$/.test(values.limit))
      throw new UsageError(`--limit must be a whole number from 1 to 100, not "${values.limit}"`);
    const page = { limit: values.limit, before: values.before };
    if (values.requests)
      return runRemote(io, 'history', values, (api) => api.get('requests', page), renderRequests);
    return runRemote(io, 'history', values, (api) => api.get('history', page), renderHistory);
  },
};
