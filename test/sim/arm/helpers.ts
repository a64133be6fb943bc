import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import {
  startArmSimulator,
  type ArmResponseRecord,
  type ArmSimulator,
  type ArmSimulatorOptions,
  type RequestLogEntry,
} from '../../../local/sim/arm';

/**
 * The official spec subset: `DR_SPEC_DIR` when set, else beside the repository (`<parent>/shared/specs`), else
 * the workplace's shared folder (CI may clone the repository somewhere else).
 */
const SPEC_CANDIDATES = [
  ...(process.env.DR_SPEC_DIR ? [resolve(process.env.DR_SPEC_DIR)] : []),
  resolve(__dirname, '../../../../shared/specs/logic/2019-05-01'),
  '/work/shared/specs/logic/2019-05-01',
];
const foundSpecDir = SPEC_CANDIDATES.find((d) => existsSync(join(d, 'logic-workflows-subset.json')));
if (!foundSpecDir) {
  throw new Error(
    `the Logic Apps spec subset (logic-workflows-subset.json) is in none of ${SPEC_CANDIDATES.join(', ')}: set DR_SPEC_DIR to its folder`,
  );
}
export const SPEC_DIR: string = foundSpecDir;
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
  /** Which spec subset: the ajv schema id its $refs resolve in. */
  specId: string;
  method: string;
  template: string;
  pattern: RegExp;
  operationId: string;
  responses: Record<string, { schema?: unknown } | undefined>;
  examples: string[];
}

type Json = Record<string, unknown>;

interface SpecSubset {
  paths: Record<string, Record<string, Json>>;
  definitions: Json;
}

export const spec = JSON.parse(
  readFileSync(join(SPEC_DIR, 'logic-workflows-subset.json'), 'utf8'),
) as SpecSubset;

/**
 * The router specs beside the Logic Apps one (`<specs>/<service>/<api-version>/`): API Management, Front Door
 * (Microsoft.Cdn) and Traffic Manager, at the api-versions their SDKs send.
 */
export const ROUTER_SPEC_FILES = {
  apim: join(SPEC_DIR, '../../apimanagement/2024-05-01/apimanagement-subset.json'),
  cdn: join(SPEC_DIR, '../../cdn/2024-02-01/cdn-afd-subset.json'),
  tm: join(SPEC_DIR, '../../trafficmanager/2022-04-01/trafficmanager-subset.json'),
} as const;
const routerSpecs = Object.fromEntries(
  Object.entries(ROUTER_SPEC_FILES).map(([id, file]) => {
    if (!existsSync(file)) throw new Error(`the router spec subset ${file} is missing (beside ${SPEC_DIR})`);
    return [id, JSON.parse(readFileSync(file, 'utf8')) as SpecSubset];
  }),
);

function rewriteRefs(value: unknown, id = 'logic'): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, id));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${id}${v}` : rewriteRefs(v, id),
    ]),
  );
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('int32', true);
ajv.addFormat('int64', true);
ajv.addFormat('arm-id', true);
/**
 * One reading of the spec made explicit: a workflow parameter's `value` is the spec's `Object`, which AutoRest
 * (the generator of @azure/arm-logic from this very spec) reads as any JSON value (`value?: any`). ARM answers a
 * `String` parameter with a JSON string, so a strict `type: object` would reject real responses. Every other
 * `Object` stays an object.
 */
function withParameterValuesAsAny(definitions: Json): Json {
  const copy = structuredClone(definitions) as Record<string, { properties?: Record<string, unknown> }>;
  const parameter = copy.WorkflowParameter;
  if (parameter?.properties?.value) parameter.properties.value = { description: 'The value (any JSON).' };
  return copy;
}

ajv.addSchema({ $id: 'logic', definitions: rewriteRefs(withParameterValuesAsAny(spec.definitions)) });
/**
 * Swagger 2.0 writes exclusive bounds as draft-04 booleans beside `minimum`/`maximum` (the CDN spec does);
 * ajv speaks the later drafts, where the bound itself is the number.
 */
function draft4Bounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(draft4Bounds);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, draft4Bounds(v)]));
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag]) out[flag] = out[bound];
    else delete out[flag];
    if (out[flag] !== undefined) delete out[bound];
  }
  return out;
}

for (const [id, subset] of Object.entries(routerSpecs))
  ajv.addSchema({ $id: id, definitions: rewriteRefs(draft4Bounds(subset.definitions), id) });

const operationsOf = (specId: string, subset: SpecSubset): SpecOperation[] =>
  Object.entries(subset.paths).flatMap(([template, methods]) =>
    Object.entries(methods)
      .filter(([m]) => m !== 'parameters')
      .map(([method, op]) => ({
        specId,
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

/** The Logic Apps operations (the examples below are theirs). */
export const operations: SpecOperation[] = operationsOf('logic', spec);
/** Every operation of every subset, routers included, for response validation. */
const allOperations: SpecOperation[] = [
  ...operations,
  ...Object.entries(routerSpecs).flatMap(([id, subset]) => operationsOf(id, subset)),
];

export function findOperation(method: string, pathname: string): SpecOperation | undefined {
  // Literal paths (e.g. .../triggers/{t}/run) must win over ones with a parameter in the same place.
  return allOperations
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
  const cacheKey = `${op.specId}|${op.operationId}|${status in op.responses ? status : 'default'}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(response.schema, op.specId) as Json);
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

/** Spec checks of responses as the simulator sends them: only the count and the problems are kept. */
export interface SpecChecker {
  observe(response: ArmResponseRecord): void;
  readonly checked: number;
  readonly problems: string[];
  /** Throws, listing the problems, if any response was outside the spec. */
  assertClean(): void;
}

const MAX_PROBLEMS_KEPT = 50;

export function createSpecChecker(): SpecChecker {
  let checked = 0;
  let total = 0;
  const problems: string[] = [];
  return {
    observe({ method, path, status, body }) {
      const pathname = path.split('?')[0] ?? '';
      if (!findOperation(method, pathname)) return; // Not in the subset (e.g. Microsoft.Web app settings).
      checked += 1;
      for (const p of specProblems(method, pathname, status, body)) {
        total += 1;
        if (problems.length < MAX_PROBLEMS_KEPT) problems.push(`${method} ${path}: ${p}`);
      }
    },
    get checked() {
      return checked;
    },
    get problems() {
      return [...problems];
    },
    assertClean() {
      if (total === 0) return;
      throw new Error(
        `the ARM simulator gave ${total} spec problem(s) in ${checked} checked responses (${SPEC_DIR}):\n  ${problems.join('\n  ')}`,
      );
    },
  };
}

/** A simulator whose every ARM response is validated against the spec as it is sent. */
export type CheckedSimulator = ArmSimulator & { spec: SpecChecker };

/**
 * startArmSimulator, plus: every ARM response is checked against the official spec subset as it goes (no
 * bodies kept, so long scenario runs stay light), and `stop()` fails if any response was outside the spec.
 */
export async function startCheckedSimulator(options: ArmSimulatorOptions = {}): Promise<CheckedSimulator> {
  const spec = createSpecChecker();
  const sim = await startArmSimulator({
    ...options,
    onArmResponse: (response) => {
      spec.observe(response);
      options.onArmResponse?.(response);
    },
  });
  const stop = sim.stop.bind(sim);
  return Object.assign(sim, {
    spec,
    async stop() {
      await stop();
      spec.assertClean();
    },
  });
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
