import { readFileSync, readdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { type ArmSimulator, type RequestLogEntry } from '../../../src/sim/arm';

export const SPEC_DIR = '/work/shared/specs/logic/2019-05-01';
export const SUB = '11111111-2222-3333-4444-555555555555';
export const SUB2 = '99999999-8888-7777-6666-555555555555';

/** A Recurrence workflow definition (hourly from a fixed startTime unless told otherwise). */
export function recurrenceDefinition(recurrence: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema:
      'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
    contentVersion: '1.0.0.0',
    triggers: {
      Recurrence: {
        type: 'Recurrence',
        recurrence: { frequency: 'Hour', interval: 1, startTime: '2025-01-01T00:00:00Z', ...recurrence },
      },
    },
    actions: {},
  };
}

/** A bare Recurrence trigger object (hourly from 2025-01-01T00:00Z). */
export function recurrenceTrigger(): Record<string, unknown> {
  return {
    type: 'Recurrence',
    recurrence: { frequency: 'Hour', interval: 1, startTime: '2025-01-01T00:00:00Z' },
  };
}

/** The health-check workflow: a Request trigger answered by a Response action. */
export function healthDefinition(
  body: unknown = { status: 'Healthy' },
  method = 'GET',
): Record<string, unknown> {
  return {
    $schema:
      'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
    contentVersion: '1.0.0.0',
    triggers: { manual: { type: 'Request', kind: 'Http', inputs: { method, schema: {} } } },
    actions: {
      Response: { type: 'Response', kind: 'Http', runAfter: {}, inputs: { statusCode: 200, body } },
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTPS request trusting the simulator CA (for what the SDK cannot show: 401, resets, URLs). */
export function rawRequest(
  sim: ArmSimulator,
  url: string,
  options: { method?: string; body?: unknown; token?: string | null; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const text = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'GET',
        ca: sim.caCertPem,
        agent: false,
        headers: {
          ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? 'test-token'}` }),
          ...(text === undefined ? {} : { 'content-type': 'application/json' }),
        },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

export function armUrl(sim: ArmSimulator, path: string, apiVersion: string | null = '2019-05-01'): string {
  const url = new URL(path, sim.armEndpoint);
  if (apiVersion !== null) url.searchParams.set('api-version', apiVersion);
  return url.toString();
}

export function workflowPath(sub: string, rg: string, name: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Logic/workflows/${name}`;
}

// ---- the spec subset as response validators -------------------------------------------------------------------

interface SpecOperation {
  method: string;
  template: string;
  pattern: RegExp;
  operationId: string;
  responses: Record<string, { schema?: unknown } | undefined>;
  examples: string[];
}

type Json = Record<string, unknown>;

export const spec = JSON.parse(readFileSync(join(SPEC_DIR, 'logic-workflows-subset.json'), 'utf8')) as {
  paths: Record<string, Record<string, Json>>;
  definitions: Json;
};

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `logic${v}` : rewriteRefs(v),
    ]),
  );
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('int32', true);
ajv.addFormat('int64', true);
ajv.addSchema({ $id: 'logic', definitions: rewriteRefs(spec.definitions) });

export const operations: SpecOperation[] = Object.entries(spec.paths).flatMap(([template, methods]) =>
  Object.entries(methods)
    .filter(([m]) => m !== 'parameters')
    .map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`, 'i'),
      operationId: op.operationId as string,
      responses: op.responses as SpecOperation['responses'],
      examples: Object.values((op['x-ms-examples'] ?? {}) as Record<string, { $ref: string }>).map((e) =>
        e.$ref.replace('./examples/', ''),
      ),
    })),
);

export function findOperation(method: string, pathname: string): SpecOperation | undefined {
  // Literal paths (e.g. .../triggers/{t}/run) must win over ones with a parameter in the same place.
  return operations
    .filter((o) => o.method === method.toUpperCase() && o.pattern.test(pathname))
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))[0];
}

const validators = new Map<string, ValidateFunction>();

/** Validates one response against its operation's schema; returns problems (empty = valid, or no spec). */
export function specProblems(method: string, pathname: string, status: number, bodyText: string): string[] {
  const op = findOperation(method, pathname);
  if (!op) return [];
  const response = op.responses[String(status)] ?? op.responses.default;
  if (!response) return [`${op.operationId}: status ${status} is not in the spec`];
  if (!response.schema)
    return bodyText === '' ? [] : [`${op.operationId}: status ${status} must have no body`];
  // Operations documented only by `default` ("all status codes are acceptable", e.g. trigger run) may succeed
  // without a body, as the official example shows.
  if (bodyText === '' && response === op.responses.default && status < 400) return [];
  const cacheKey = `${op.operationId}|${status in op.responses ? status : 'default'}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(response.schema) as Json);
    validators.set(cacheKey, validate);
  }
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return [`${op.operationId}: body is not JSON: ${bodyText.slice(0, 80)}`];
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (e) => `${op.operationId} ${status}: ${e.instancePath} ${e.message ?? ''}`,
  );
}

/** Every recorded ARM response of the simulator that the spec covers, with its validation problems. */
export function specProblemsInLog(log: RequestLogEntry[]): { checked: number; problems: string[] } {
  let checked = 0;
  const problems: string[] = [];
  for (const entry of log) {
    if (entry.listener !== 'arm' || entry.status === undefined || entry.responseBody === undefined) continue;
    const pathname = entry.path.split('?')[0] ?? '';
    if (!findOperation(entry.method, pathname)) continue;
    checked += 1;
    for (const p of specProblems(entry.method, pathname, entry.status, entry.responseBody)) {
      problems.push(`${entry.method} ${entry.path}: ${p}`);
    }
  }
  return { checked, problems };
}

export function exampleFiles(): string[] {
  return readdirSync(join(SPEC_DIR, 'examples')).sort();
}

export function readExample(file: string): { parameters: Json; responses: Record<string, Json> } {
  return JSON.parse(readFileSync(join(SPEC_DIR, 'examples', file), 'utf8')) as {
    parameters: Json;
    responses: Record<string, Json>;
  };
}

/**
 * Differences in shape between an expected (example) and an actual JSON value: missing keys and type
 * mismatches, recursively (arrays by their first element). Client-defined subtrees are not compared.
 */
export function shapeDifferences(
  expected: unknown,
  actual: unknown,
  path = '$',
  opaque = new Set<string>(),
): string[] {
  const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (typeOf(expected) !== typeOf(actual))
    return [`${path}: expected ${typeOf(expected)}, got ${typeOf(actual)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0 || actual.length === 0) return [];
    return shapeDifferences(expected[0], actual[0], `${path}[0]`, opaque);
  }
  if (typeOf(expected) !== 'object') return [];
  const e = expected as Json;
  const a = actual as Json;
  const out: string[] = [];
  for (const k of Object.keys(e)) {
    if (!(k in a)) out.push(`${path}.${k}: missing`);
    else if (!opaque.has(k)) out.push(...shapeDifferences(e[k], a[k], `${path}.${k}`, opaque));
  }
  for (const k of Object.keys(a)) if (!(k in e)) out.push(`${path}.${k}: not in the example`);
  return out;
}
