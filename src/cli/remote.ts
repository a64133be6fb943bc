/**
 * What every command that talks to the running control plane shares: its flags, the client, and how an
 * answer is printed and turned into an exit code.
 */
import {
  apiTarget,
  DrApiClient,
  DrApiUnreachableError,
  ApiTargetError,
  describeRefusal,
  replyOutcome,
  type ApiReply,
} from '../http/client';
import { EXIT, UsageError, type CliIo } from './io';

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

function remoteClient(
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

/** The flags of REMOTE_OPTIONS, as parsed. */
export interface RemoteValues {
  url?: string | undefined;
  key?: string | undefined;
  json?: boolean | undefined;
}

/**
 * Sends a request to the control plane (--url, --key) and prints the outcome: the rendered success (or the
 * JSON with --json) on stdout, a refusal on stderr. Returns the exit code.
 */
export async function runRemote(
  io: CliIo,
  name: string,
  values: RemoteValues,
  send: (api: DrApiClient) => Promise<ApiReply>,
  render: (body: never) => string,
): Promise<number> {
  const api = remoteClient(values, io);
  const json = values.json;
  let reply: ApiReply;
  try {
    reply = await send(api);
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

/** Flags of a request that changes something (pause, resume, failover, failback, cancel). */
export const REQUEST_OPTIONS = {
  ...REMOTE_OPTIONS,
  reason: { type: 'string' },
  'idempotency-key': { type: 'string' },
} as const;

/**
 * POSTs a request to the control plane, under the --idempotency-key when one was given, and prints the
 * answer as runRemote does. Returns the exit code: non-zero when refused or not reachable.
 */
export function postRequest(
  io: CliIo,
  name: string,
  values: RemoteValues & { 'idempotency-key'?: string | undefined },
  path: string,
  body: object,
  render: (body: never) => string,
): Promise<number> {
  const idempotencyKey = values['idempotency-key'];
  return runRemote(io, name, values, (api) => api.post(path, body, { idempotencyKey }), render);
}
