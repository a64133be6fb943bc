/** Calling the HTTP API of an estate's host the way an operator's tools do, and collecting what it logs. */
import type { HostLogEntry } from '../../local/host';
import { installLocalKeyIsOperator, installLocalPrincipalTrust } from '../../src/composition';
import { startEstate, type Estate, type EstateOptions } from '../support/estate';

export const KEY = 'fk-test-0123456789abcdef';
export const MIN = 60_000;

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (overrides body), e.g. invalid JSON. */
  raw?: string;
  contentType?: string | null;
  /** Function key: header by default; `null` sends none. */
  key?: string | null;
  keyIn?: 'header' | 'query';
  principal?: string;
  idempotencyKey?: string;
}

/** The base64 JSON App Service Authentication forwards as x-ms-client-principal. */
export function principal(name: string, roles: string[]): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
      role_typ: 'roles',
      claims: [
        { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', val: name },
        { typ: 'aud', val: 'api://dr' },
        ...roles.map((r) => ({ typ: 'roles', val: r })),
      ],
    }),
  ).toString('base64');
}

export interface ApiEstate extends Estate {
  call(method: 'GET' | 'POST', path: string, options?: CallOptions): Promise<Reply>;
  /** Every host log line so far (user, system and host categories). */
  logs: HostLogEntry[];
  /** Every response text so far. */
  responses: string[];
  /** POSTs sent with the right key, i.e. that reached a handler (wrong keys are refused by the host). */
  keyedPosts: number;
}

export interface ApiEstateOptions extends EstateOptions {
  /**
   * Believe x-ms-client-principal as App Service Authentication in front would make it believable (default
   * true: these tests play that front end); false is a deployment without it.
   */
  trustPrincipal?: boolean;
  /**
   * Let a function key alone fail over, fail back, pause and resume, as a deployment with
   * DR_KEY_IS_OPERATOR=true does (default true: most of these tests POST with only the key); false is the
   * default deployment, where a key alone may only read.
   */
  keyIsOperator?: boolean;
}

export async function startApiEstate(options: ApiEstateOptions = {}): Promise<ApiEstate> {
  const logs: HostLogEntry[] = [];
  const responses: string[] = [];
  const { trustPrincipal = true, keyIsOperator = true, ...estateOptions } = options;
  const estate = await startEstate({ ...estateOptions, functionKeys: [KEY], log: (e) => logs.push(e) });
  installLocalPrincipalTrust(trustPrincipal);
  installLocalKeyIsOperator(keyIsOperator);
  const stopEstate = estate.stop.bind(estate);
  estate.stop = async () => {
    installLocalPrincipalTrust(false);
    installLocalKeyIsOperator(false);
    await stopEstate();
  };
  const call: ApiEstate['call'] = async (method, path, o = {}) => {
    const url = new URL(`${estate.host.url}/api/${path}`);
    const key = o.key === undefined ? KEY : o.key;
    const headers: Record<string, string> = {};
    if (key !== null && o.keyIn === 'query') url.searchParams.set('code', key);
    else if (key !== null) headers['x-functions-key'] = key;
    if (o.principal !== undefined) headers['x-ms-client-principal'] = o.principal;
    if (o.idempotencyKey !== undefined) headers['idempotency-key'] = o.idempotencyKey;
    const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    const type = o.contentType === undefined ? 'application/json' : o.contentType;
    if (payload !== undefined && type !== null) headers['content-type'] = type;
    if (method === 'POST' && key === KEY) api.keyedPosts += 1;
    const res = await fetch(url, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    responses.push(text);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  const api: ApiEstate = Object.assign(estate, { call, logs, responses, keyedPosts: 0 });
  return api;
}

/** The audit lines the API wrote (context.log JSON with `audit: 'dr-http'`). */
export function auditLines(logs: HostLogEntry[]): Record<string, unknown>[] {
  return logs
    .filter((l) => l.category === 'user' && l.message.startsWith('{"audit":"dr-http"'))
    .map((l) => JSON.parse(l.message) as Record<string, unknown>);
}

/** The virtual "now" plus `ms`, as ISO. */
export const inFuture = (estate: Estate, ms: number): string =>
  new Date(estate.host.clock.now() + ms).toISOString();
