/**
 * A small client of the control plane's HTTP API, for `dr status|failover|failback|pause|resume`. It sends
 * the function key as `x-functions-key` and, where App Service Authentication is on, an Entra access token
 * from DR_API_TOKEN as `Authorization: Bearer`; it never prints either, and turns network failures into one
 * clear error.
 */

export const DEFAULT_API_URL = 'http://127.0.0.1:7071/api';

export interface ApiTarget {
  /** Base URL ending in `/api` (a trailing slash is fine). */
  url: string;
  key?: string;
  /** An Entra access token for App Service Authentication (environment only: never a flag, never logged). */
  token?: string;
}

/** `--url`/`--key` first, then DR_API_URL/DR_API_KEY, then the local default; the token from DR_API_TOKEN. */
export function apiTarget(
  flags: { url?: string | undefined; key?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): ApiTarget {
  const url = (flags.url ?? env.DR_API_URL ?? DEFAULT_API_URL).trim();
  const key = (flags.key ?? env.DR_API_KEY)?.trim();
  const token = env.DR_API_TOKEN?.trim();
  return { url, ...(key ? { key } : {}), ...(token ? { token } : {}) };
}

export class ApiTargetError extends Error {
  override name = 'ApiTargetError';
}

/** The API did not answer at all (refused, reset, DNS, timeout). */
export class DrApiUnreachableError extends Error {
  override name = 'DrApiUnreachableError';
}

export interface ApiReply {
  status: number;
  body: unknown;
  headers: Headers;
  /** The URL asked. */
  url: string;
}

export interface DrApiClientOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class DrApiClient {
  readonly #base: URL;
  readonly #key: string | undefined;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(target: ApiTarget, options: DrApiClientOptions = {}) {
    let base: URL;
    try {
      base = new URL(target.url.endsWith('/') ? target.url : `${target.url}/`);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err; // new URL's "Invalid URL"
      throw new ApiTargetError(
        `API URL "${target.url}" is not a URL (e.g. https://func-dr.azurewebsites.net/api)`,
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new ApiTargetError(`API URL "${target.url}" must be http(s)`);
    this.#base = base;
    this.#key = target.key;
    this.#token = target.token;
    // Above the API's own 15 s wait for the monitor's answer.
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
  }

  get(path: string, query: Record<string, string | undefined> = {}): Promise<ApiReply> {
    const url = new URL(path, this.#base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return this.#send('GET', url, undefined, {});
  }

  post(
    path: string,
    body: unknown,
    options: { idempotencyKey?: string | undefined } = {},
  ): Promise<ApiReply> {
    return this.#send(
      'POST',
      new URL(path, this.#base),
      JSON.stringify(body),
      options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
    );
  }

  async #send(
    method: string,
    url: URL,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<ApiReply> {
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.#key ? { 'x-functions-key': this.#key } : {}),
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      // fetch rejects only when no answer came (network, TLS, the timeout): each is "unreachable", with why.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${this.#timeoutMs / 1000} s`
          : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new DrApiUnreachableError(`cannot reach the DR API at ${url.origin}${url.pathname}: ${why}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch (err) {
      // not JSON (e.g. an HTML error page in front of the app): keep the text
      if (!(err instanceof SyntaxError)) throw err;
    }
    return { status: res.status, body: parsed, headers: res.headers, url: url.href };
  }
}

/** How a reply ends a command: 2xx ok; 400/415/422 the input was wrong; anything else the answer is no. */
export function replyOutcome(status: number): 'ok' | 'invalid' | 'refused' {
  if (status >= 200 && status < 300) return 'ok';
  return status === 400 || status === 415 || status === 422 ? 'invalid' : 'refused';
}

/** The refusal as one or a few lines: the API's error, each invalid field, and a hint for 401. */
export function describeRefusal(reply: ApiReply): string {
  const body = reply.body as
    | { error?: unknown; message?: unknown; issues?: { path: string; message: string }[] }
    | string
    | undefined
    | null;
  const error =
    typeof body === 'object' && body !== null
      ? typeof body.error === 'string'
        ? body.error
        : typeof body.message === 'string'
          ? body.message
          : `HTTP ${reply.status}`
      : typeof body === 'string' && body.trim() && body.length < 300
        ? body.trim()
        : `HTTP ${reply.status}`;
  const lines = [`${reply.status}: ${error}`];
  if (typeof body === 'object' && body !== null && Array.isArray(body.issues) && body.issues.length > 1)
    for (const i of body.issues) lines.push(`  ${i.path || '(body)'}: ${i.message}`);
  if (reply.status === 401 && !(typeof body === 'object' && body !== null && body.error))
    lines.push(
      '  (the function key is missing or wrong: pass --key or set DR_API_KEY; where App Service ' +
        'Authentication requires sign-in, also set DR_API_TOKEN to an Entra access token)',
    );
  return lines.join('\n');
}
