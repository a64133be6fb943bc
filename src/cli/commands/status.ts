import { formatDuration } from '../../core/duration';
import {
  apiTarget,
  DrApiClient,
  DrApiUnreachableError,
  ApiTargetError,
  describeRefusal,
  replyOutcome,
  type ApiReply,
} from '../../http/client';
import type { StatusView } from '../../http/status-view';
import { parseCommandArgs } from '../args';
import { EXIT, UsageError, type CliIo } from '../io';
import type { Command } from '../command';

/** Flags every remote command takes. */
export const REMOTE_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const REMOTE_OPTIONS_HELP = `  --url URL   the API, e.g. https://func-dr.azurewebsites.net/api (default: $DR_API_URL, else
              ${'http://127.0.0.1:7071/api'})
  --key KEY   function key, sent as x-functions-key (default: $DR_API_KEY); with Entra sign-in,
              $DR_API_TOKEN (an Entra access token) is sent as Authorization: Bearer, or one for
              $DR_API_SCOPE (api://<client id>/.default) from DefaultAzureCredential (az login)
  --json      print the API's JSON answer`;

export const REMOTE_EXIT_HELP =
  'Exit codes: 0 done, 1 refused (conflict, not allowed, not reachable), 2 invalid arguments.';

export function remoteClient(
  values: { url?: string | undefined; key?: string | undefined },
  io: CliIo,
): DrApiClient {
  try {
    return new DrApiClient(apiTarget(values, io.env));
  } catch (err) {
    if (err instanceof ApiTargetError) throw new UsageError(err.message);
    throw err;
  }
}

/** The API's words for its body fields, as the flags a CLI user types instead. */
const CLI_TERMS: [RegExp, string][] = [
  [/\bkind "?(planned|emergency)"?/g, '--kind $1'],
  [/\b(pass|unless|with) "?force"?( ?: ?true)?\b/g, '$1 --force'],
  [/\bIdempotency-Key (\S+)/g, '--idempotency-key $1'],
  [/\boverride \["?([a-z-]+)"?\]/g, '--override $1'],
];

export const inCliTerms = (message: string): string =>
  CLI_TERMS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), message);

/** A 404 from a URL outside /api/ is almost always a --url without its /api. */
function apiPathHint(reply: ApiReply): string {
  if (reply.status !== 404) return '';
  const url = new URL(reply.url);
  if (url.pathname.includes('/api/')) return '';
  return `\n  (the API's routes are under /api: pass --url ${url.origin}/api, or set DR_API_URL to it)`;
}

/**
 * Sends a request and prints the outcome: the rendered success (or the JSON with --json) on stdout, a
 * refusal on stderr. Returns the exit code.
 */
export async function runRemote(
  io: CliIo,
  name: string,
  json: boolean | undefined,
  send: () => Promise<ApiReply>,
  render: (body: never) => string,
): Promise<number> {
  let reply: ApiReply;
  try {
    reply = await send();
  } catch (err) {
    if (err instanceof DrApiUnreachableError) {
      io.err(`dr ${name}: ${err.message}`);
      return EXIT.notOk;
    }
    throw err;
  }
  const outcome = replyOutcome(reply.status);
  if (outcome === 'ok') {
    io.out(json ? JSON.stringify(reply.body, null, 2) : render(reply.body as never));
    return EXIT.ok;
  }
  if (json) io.out(JSON.stringify(reply.body ?? { status: reply.status }, null, 2));
  io.err(`dr ${name}: ${inCliTerms(describeRefusal(reply))}${apiPathHint(reply)}`);
  return outcome === 'invalid' ? EXIT.usage : EXIT.notOk;
}

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
    const api = remoteClient(values, io);
    return runRemote(io, 'status', values.json, () => api.get('status'), renderStatus);
  },
};
