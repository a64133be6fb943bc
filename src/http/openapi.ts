/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table and the same zod schemas the
 * handlers validate with (OpenAPI 3.1 schemas are JSON Schema 2020-12, which `z.toJSONSchema` emits).
 */
import { z } from 'zod';
import { APP_ROLES, PRINCIPAL_HEADER } from './auth';
import { HTTP_ROUTES, VALIDATION_RESPONSE, type HttpRouteSpec, type RouteResponse } from './routes';
import * as S from './schemas';

/** Component names of the shared schemas; anything else is named after its route and status. */
const NAMES = new Map<z.ZodType, string>([
  [S.ErrorResponseSchema, 'Error'],
  [S.ValidationErrorResponseSchema, 'ValidationError'],
  [S.ConflictResponseSchema, 'Conflict'],
  [S.UnavailableResponseSchema, 'Unavailable'],
  [S.AcceptedResponseSchema, 'Accepted'],
  [S.DryRunResponseSchema, 'DryRun'],
  [S.StatusResponseSchema, 'Status'],
  [S.HealthResponseSchema, 'Health'],
  [S.HistoryResponseSchema, 'HistoryPage'],
  [S.RequestsResponseSchema, 'RequestsPage'],
  [S.OperationResponseSchema, 'Operation'],
  [S.PauseResponseSchema, 'PauseState'],
  [S.FailoverBodySchema, 'FailoverRequest'],
  [S.FailbackBodySchema, 'FailbackRequest'],
  [S.PauseBodySchema, 'PauseRequest'],
  [S.ResumeBodySchema, 'ResumeRequest'],
]);

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const pascal = (s: string): string =>
  s.replace(/(^|[^A-Za-z0-9])([a-z])/g, (_m, _p, c: string) => c.toUpperCase());

function response(r: RouteResponse, componentName: string | undefined): Json {
  return {
    description: r.description,
    ...(r.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
          ),
        }
      : {}),
    ...(componentName
      ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/${componentName}` } } } }
      : {}),
  };
}

const COMMON: Record<number, RouteResponse> = {
  // The Functions host answers a missing or wrong key itself (no JSON body), so no schema here.
  401: {
    description: 'No or wrong function key, a malformed principal, or no principal where one is required',
  },
  403: {
    description: `The principal lacks the app role (${APP_ROLES.operator} for POST, ${APP_ROLES.reader} or ${APP_ROLES.operator} for GET), or a POST came with only a function key where DR_KEY_IS_OPERATOR is not true`,
    schema: S.ErrorResponseSchema,
  },
};

export function openApiDocument(): Json {
  const schemas: Record<string, Json> = {};
  const named = new Map<z.ZodType, string>();
  const component = (schema: z.ZodType, fallback: string, io: 'input' | 'output'): string => {
    const known = named.get(schema);
    if (known) return known;
    const name = NAMES.get(schema) ?? fallback;
    named.set(schema, name);
    schemas[name] = jsonSchema(schema, io);
    return name;
  };

  const paths: Record<string, Json> = {};
  for (const [key, route] of Object.entries(HTTP_ROUTES) as [string, HttpRouteSpec][]) {
    const base = pascal(key);
    const anonymous = route.access === 'anonymous';
    // An anonymous route takes no input and checks no caller: no 400, 401 or 403 to document.
    const responses: Record<number, RouteResponse> = anonymous
      ? { ...route.responses }
      : { ...route.responses, 400: VALIDATION_RESPONSE, ...COMMON };
    if (route.body) responses[415] = { description: 'The body is not JSON', schema: S.ErrorResponseSchema };
    if (route.method === 'POST')
      responses[422] = {
        description: 'The Idempotency-Key was already used for a different request (another route or body)',
        schema: S.ErrorResponseSchema,
      };
    const parameters: Json[] = [];
    for (const [name, schema] of Object.entries(route.params ?? {}))
      parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') });
    if (route.query) {
      for (const [name, schema] of Object.entries(route.query.shape)) {
        const s = schema as z.ZodType;
        parameters.push({
          name,
          in: 'query',
          required: !s.safeParse(undefined).success,
          ...(s.description ? { description: s.description } : {}),
          schema: jsonSchema(s, 'input'),
        });
      }
    }
    if (route.method === 'POST')
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Repeat a POST with the same key to get the first answer again; the effect happens once',
        schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,100}$' },
      });
    paths[`/${route.route}`] = {
      [route.method.toLowerCase()]: {
        operationId: route.name,
        summary: route.summary,
        description: route.description,
        'x-required-access': route.access,
        ...(anonymous ? { security: [] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(route.body
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': {
                    schema: {
                      $ref: `#/components/schemas/${component(route.body, `${base}Request`, 'input')}`,
                    },
                  },
                },
              },
            }
          : {}),
        responses: Object.fromEntries(
          Object.entries(responses).map(([code, r]) => [
            code,
            response(r, r.schema ? component(r.schema, `${base}${code}Response`, 'output') : undefined),
          ]),
        ),
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'logic-apps-failover control plane',
      version: '1',
      description:
        'Manual override and status of the Logic Apps failover monitor. Every route but /health needs a function key; a caller signed in with an Entra access token (Authorization: Bearer) is allowed what its app roles say.',
    },
    servers: [{ url: '/api' }],
    security: [{ functionKeyHeader: [] }, { functionKeyQuery: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        functionKeyHeader: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
        appServicePrincipal: {
          type: 'apiKey',
          in: 'header',
          name: PRINCIPAL_HEADER,
          description: `Believed only by a local host (the demo); refused in Azure. Base64 JSON claims; app roles ${APP_ROLES.operator} and ${APP_ROLES.reader}`,
        },
      },
    },
  };
}
