/**
 * The HTTP API's request pipeline, shared by every route: authorise the caller, run the route's handler, turn
 * typed refusals into responses, and write one audit line per mutating call; plus the request readers (JSON
 * body, query, Idempotency-Key). Nothing secret (keys, signatures, connection strings) is logged or echoed.
 */
import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { RouterControl } from '../adapters/routers/port';
import type { HealthProbe } from '../adapters/probe';
import type { LogicAppsControl } from '../adapters/logicapps/port';
import type { Plan } from '../plan/schema';
import type { DurableClient } from '../durable/client';
import { authoriseRequest, FUNCTION_KEY_CALLER, type Identity } from './auth';
import type { TokenVerifier } from './entra-token';
import {
  ForbiddenError,
  HttpApiError,
  PayloadTooLargeError,
  RequestValidationError,
  UnsupportedMediaTypeError,
  type FieldIssue,
} from './errors';
import { HTTP_ROUTES, type HttpRouteKey } from './routes';
import { IdempotencyKeySchema } from './schemas';
import { redactSecrets } from './redact';

export { redactSecrets };

export interface HttpApiSettings {
  /** DR_REQUIRE_PRINCIPAL=true: a signed-in caller (an Entra access token) is mandatory. */
  requirePrincipal: boolean;
  /** x-ms-client-principal is believed: only a local host opts in, in code. */
  trustPrincipal: boolean;
  /** DR_KEY_IS_OPERATOR=true (or a local host opted in): a function key alone may change the state. */
  keyIsOperator: boolean;
}

export interface HttpApiDeps {
  plan: () => Plan;
  /** ARM reads for dry runs. */
  control: () => LogicAppsControl;
  /** The routers in front of Request triggers, for the dry run's switch steps. */
  routers?: () => RouterControl | undefined;
  /** The health probe, for a failback dry run's gate (a failing primary holds every entry, as at a failback). */
  probe?: () => HealthProbe | undefined;
  client: (context: InvocationContext) => DurableClient;
  settings: () => HttpApiSettings;
  /** Verifies `Authorization: Bearer` tokens; undefined where Entra sign-in is not configured. */
  signIn?: () => TokenVerifier | undefined;
  now: () => Date;
  /** DR_NOTIFY_TTL: how far back the status looks for notifications that may still be pending. */
  notificationTtlMs?: () => number;
  /** The slowest recent ARM answer this process observed (ms), for the predicted RTO. */
  armLatencyMs?: () => number | undefined;
  /** How long a POST waits for the monitor's answer (default 15 s). */
  answerWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  newRequestId?: () => string;
}

/** Whoever calls an anonymous route: nobody is checked, so nobody is named. */
const ANONYMOUS: Identity = { by: 'anonymous', roles: [], via: 'anonymous' };

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** One request as a route handler sees it. */
export interface Call {
  request: HttpRequest;
  context: InvocationContext;
  identity: Identity;
  client: DurableClient;
  plan: Plan;
  /** Filled by mutating handlers for the audit line. */
  audit: Record<string, unknown>;
  /** The API's auth settings this request was authorised under (the status page shows them). */
  settings: HttpApiSettings;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;
const IDEMPOTENCY_HEADER = 'idempotency-key';

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({ path: path ? `${path}.${k}` : k, message: 'unknown field' }));
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    return [{ path, message: missing ? 'is required' : issue.message }];
  });
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RequestValidationError(where, issuesOf(parsed.error));
  return parsed.data;
}

/**
 * The largest body a route reads. The platform in front allows 100 MB; this API's bodies are small JSON
 * objects, so anything bigger is refused before it is decoded or parsed.
 */
export const MAX_BODY_BYTES = 64 * 1024;

/** A JSON body (an empty body counts as `{}`), validated against a strict schema. */
export async function readBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>> {
  const announced = Number(request.headers.get('content-length') ?? 0);
  if (announced > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const text = new TextDecoder().decode(bytes);
  let value: unknown = {};
  if (text.trim() !== '') {
    const type = request.headers.get('content-type');
    // `curl -d '{...}'` says x-www-form-urlencoded: accept it (and a missing type) when the body is a JSON object.
    const curlStyle =
      (!type || /^application\/x-www-form-urlencoded\b/i.test(type)) && text.trimStart().startsWith('{');
    if (!curlStyle && (!type || !JSON_TYPE.test(type))) throw new UnsupportedMediaTypeError(type);
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      throw new RequestValidationError('body', [{ path: '', message: `is not valid JSON (${err.message})` }]);
    }
  }
  return validate(schema, value, 'body');
}

export function idempotencyKeyOf(request: HttpRequest, newId: () => string): { key: string; given: boolean } {
  const header = request.headers.get(IDEMPOTENCY_HEADER);
  if (header === null) return { key: newId(), given: false };
  const parsed = IdempotencyKeySchema.safeParse(header.trim());
  if (!parsed.success)
    throw new RequestValidationError('header', [
      { path: 'Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'is invalid' },
    ]);
  return { key: parsed.data, given: true };
}

/** Route and request content, hashed: what makes two uses of one Idempotency-Key the same request. */
export function fingerprintOf(route: string, content: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([route, content]))
    .digest('base64url')
    .slice(0, 22);
}

/** Wraps a route's handler in the pipeline: authorisation, refusals as responses, the audit line. */
export function routeHandler(
  deps: HttpApiDeps,
  key: HttpRouteKey,
  run: (call: Call) => Promise<HttpResponseInit>,
): HttpHandler {
  const spec = HTTP_ROUTES[key];
  const mutating = spec.method === 'POST';
  return async (request, context) => {
    let identity: Identity | undefined;
    let refusedCaller: string | undefined;
    const audit: Record<string, unknown> = {};
    let response: HttpResponseInit;
    try {
      const settings = deps.settings();
      identity =
        spec.access === 'anonymous'
          ? ANONYMOUS
          : await authoriseRequest(request.headers, spec.access, settings, deps.signIn?.());
      const plan = deps.plan();
      response = await run({
        request,
        context,
        identity,
        client: deps.client(context),
        plan,
        settings,
        audit,
      });
    } catch (err) {
      if (err instanceof HttpApiError) {
        response = { status: err.status, jsonBody: err.body(), headers: err.headers };
        audit.refusal = err.message;
        if (err instanceof ForbiddenError) refusedCaller = err.caller;
      } else {
        // Anything else is ours to fix, not the caller's: a logged 500. The message may quote an SDK error; it
        // goes to the log, the caller gets the invocation id.
        context.error(`${spec.method} /api/${spec.route} failed: ${redactSecrets((err as Error).message)}`);
        response = {
          status: 500,
          jsonBody: {
            error: `internal error; see the function log for invocation ${context.invocationId}`,
          },
        };
      }
    }
    if (mutating) {
      context.log(
        JSON.stringify({
          audit: 'dr-http',
          route: `${spec.method} /api/${spec.route}`,
          caller: identity?.by ?? refusedCaller ?? 'unauthenticated',
          via: identity?.via ?? viaOf(refusedCaller),
          status: response.status ?? 200,
          outcome: outcomeOf(response.status ?? 200),
          invocationId: context.invocationId,
          ...audit,
        }),
      );
    }
    return response;
  };
}

function outcomeOf(status: number): string {
  if (status === 202) return 'accepted';
  if (status < 300) return 'ok';
  if (status === 401 || status === 403) return 'denied';
  if (status === 409) return 'refused';
  if (status < 500) return 'invalid';
  return status === 503 ? 'unavailable' : 'error';
}

/** How a refused caller presented itself, for the audit line. */
function viaOf(refusedCaller: string | undefined): Identity['via'] | 'none' {
  if (refusedCaller === undefined) return 'none';
  return refusedCaller === FUNCTION_KEY_CALLER ? 'function-key' : 'principal';
}
