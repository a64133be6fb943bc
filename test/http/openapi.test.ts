/**
 * GET /api/openapi.json: a valid OpenAPI 3.1 document that documents every HTTP function the host registered,
 * whose schemas are valid JSON Schema 2020-12, agree with the validators, and describe the real responses.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverBodySchema, PauseBodySchema } from '../../src/http/schemas';
import { MIN, startApiEstate, type ApiEstate, type Reply } from './support';

let estate: ApiEstate;
let doc: any;
beforeAll(async () => {
  estate = await startApiEstate();
  await estate.advance(MIN);
  const r = await estate.call('GET', 'openapi.json');
  expect(r.status).toBe(200);
  doc = r.body;
});
afterAll(async () => estate?.stop());

const ajv = () => {
  const a = new Ajv2020({ strict: false, allErrors: true });
  addFormats(a);
  return a;
};

/** The parts of the OpenAPI 3.1 specification this document uses, as a JSON Schema (written from the spec). */
const OPENAPI_31_SUBSET = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: { title: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' } },
    },
    servers: { type: 'array', items: { type: 'object', required: ['url'] } },
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array' } } },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/' },
      additionalProperties: {
        type: 'object',
        propertyNames: {
          enum: ['get', 'post', 'put', 'patch', 'delete', 'summary', 'description', 'parameters'],
        },
        additionalProperties: { $ref: '#/$defs/operation' },
      },
    },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object', additionalProperties: { type: 'object' } },
        securitySchemes: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['type', 'name', 'in'],
            properties: {
              type: { const: 'apiKey' },
              in: { enum: ['header', 'query', 'cookie'] },
              name: { type: 'string' },
            },
          },
        },
      },
    },
  },
  $defs: {
    operation: {
      type: 'object',
      required: ['responses'],
      properties: {
        operationId: { type: 'string' },
        summary: { type: 'string' },
        description: { type: 'string' },
        parameters: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'in', 'schema'],
            properties: {
              name: { type: 'string' },
              in: { enum: ['query', 'header', 'path', 'cookie'] },
              required: { type: 'boolean' },
              schema: { type: 'object' },
            },
            if: { properties: { in: { const: 'path' } } },
            then: { required: ['required'], properties: { required: { const: true } } },
          },
        },
        security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array' } } },
        requestBody: {
          type: 'object',
          required: ['content'],
          properties: { content: { $ref: '#/$defs/content' }, required: { type: 'boolean' } },
        },
        responses: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^([1-5]\\d\\d|[1-5]XX|default)$' },
          additionalProperties: {
            type: 'object',
            required: ['description'],
            properties: {
              description: { type: 'string' },
              content: { $ref: '#/$defs/content' },
              headers: { type: 'object' },
            },
          },
        },
      },
      patternProperties: { '^x-': true },
      additionalProperties: false,
    },
    content: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          schema: {
            anyOf: [
              {
                type: 'object',
                required: ['$ref'],
                properties: { $ref: { type: 'string', pattern: '^#/components/schemas/' } },
              },
              { type: 'object' },
            ],
          },
        },
      },
    },
  },
};

function resolve(ref: string): unknown {
  return ref
    .split('/')
    .slice(1)
    .reduce((node: any, part) => node?.[part], doc);
}

/** A validator for a component schema, with every component registered so $refs resolve. */
function validatorFor(component: string) {
  const a = ajv();
  a.addSchema({ $id: 'openapi.json', components: doc.components }, 'openapi.json');
  return a.compile({ $ref: `openapi.json#/components/schemas/${component}` });
}

function responseComponent(path: string, method: string, status: number): string {
  const ref: string = doc.paths[path][method].responses[status].content['application/json'].schema.$ref;
  return ref.split('/').at(-1)!;
}

describe('the OpenAPI document', () => {
  it('is a well-formed OpenAPI 3.1 document whose refs all resolve', () => {
    const validate = ajv().compile(OPENAPI_31_SUBSET);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) expect(resolve(r.slice(8, -1)), r).toBeDefined();
  });

  it('every component schema is valid JSON Schema 2020-12 (strict compile)', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names).toEqual(
      expect.arrayContaining(['Status', 'HistoryPage', 'Operation', 'FailoverRequest', 'Conflict']),
    );
    for (const name of names) {
      const a = new Ajv2020({ strict: true, allErrors: true });
      addFormats(a);
      expect(() => a.compile(doc.components.schemas[name]), name).not.toThrow();
    }
  });

  it('documents every HTTP function the host registered, and nothing else', () => {
    const http = estate.host.registrations.filter((r) => r.kind === 'http');
    expect(http.length).toBe(11);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, { operationId: string }>).map(
        ([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`,
      ),
    );
    const registered = http.flatMap((r) => r.http!.methods.map((m) => `${m} /${r.http!.route} ${r.name}`));
    expect(documented.sort()).toEqual(registered.sort());
    // Only the dead-man's switch is anonymous (an availability test has no key); it says so in the document.
    for (const r of http)
      expect(r.http!.authLevel, r.name).toBe(r.name === 'drHttpHealth' ? 'anonymous' : 'function');
    for (const ops of Object.values<Record<string, any>>(doc.paths))
      for (const op of Object.values(ops)) {
        if (op.operationId === 'drHttpHealth') {
          expect(op.security).toEqual([]);
          expect(Object.keys(op.responses).sort()).toEqual(['200', '503']);
        } else {
          expect(op.security).toBeUndefined();
          expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
        }
      }
  });

  it('request schemas accept and refuse what the handlers accept and refuse', () => {
    const failover = validatorFor('FailoverRequest');
    const pause = validatorFor('PauseRequest');
    const samples: [typeof failover, typeof FailoverBodySchema | typeof PauseBodySchema, unknown][] = [
      [failover, FailoverBodySchema, { reason: 'x', kind: 'planned' }],
      [
        failover,
        FailoverBodySchema,
        { reason: 'x', kind: 'emergency', override: ['no-dual-active'], dryRun: true },
      ],
      [failover, FailoverBodySchema, { reason: 'x', kind: 'planned', override: ['yolo'] }],
      [failover, FailoverBodySchema, { reason: 'x', kind: 'planned', extra: 1 }],
      [failover, FailoverBodySchema, { kind: 'planned' }],
      [failover, FailoverBodySchema, { reason: '', kind: 'planned' }],
      [pause, PauseBodySchema, { reason: 'x', until: '2026-03-02T18:00:00Z' }],
      [pause, PauseBodySchema, { reason: 'x', until: '2026-03-02T18:00:00+01:00' }],
      [pause, PauseBodySchema, { reason: 'x', until: '2026-03-02T18:00:00' }],
      [pause, PauseBodySchema, { reason: 'x', until: 'soon' }],
    ];
    for (const [validate, schema, sample] of samples)
      expect(validate(sample), JSON.stringify(sample)).toBe(schema.safeParse(sample).success);
  });

  it('describes the real responses: status, history, requests, operation, 202, 409 and 400 bodies validate', async () => {
    const check = (r: Reply, path: string, method: string) => {
      const validate = validatorFor(responseComponent(path, method, r.status));
      expect(validate(r.body), `${method} ${path} ${r.status}: ${JSON.stringify(validate.errors)}`).toBe(
        true,
      );
    };
    check(await estate.call('GET', 'status'), '/status', 'get');
    check(await estate.call('GET', 'history?limit=0'), '/history', 'get');
    check(
      await estate.call('POST', 'pause', { body: { reason: 'x', until: '2000-01-01T00:00:00Z' } }),
      '/pause',
      'post',
    );
    check(
      await estate.call('POST', 'failover', { body: { reason: 'dry', kind: 'emergency', dryRun: true } }),
      '/failover',
      'post',
    );
    const accepted = await estate.call('POST', 'failover', { body: { reason: 'openapi', kind: 'planned' } });
    expect(accepted.status).toBe(202);
    check(accepted, '/failover', 'post');
    const conflict = await estate.call('POST', 'failover', { body: { reason: 'again', kind: 'planned' } });
    expect(conflict.status).toBe(409);
    check(conflict, '/failover', 'post');
    check(await estate.call('GET', 'status'), '/status', 'get'); // with a running operation
    check(await estate.call('GET', `operations/${accepted.body.operationId}`), '/operations/{id}', 'get');
    check(await estate.call('GET', 'history'), '/history', 'get');
    check(await estate.call('POST', 'resume', { body: {} }), '/resume', 'post');
    check(await estate.call('GET', 'operations/failover-404-x'), '/operations/{id}', 'get');
    const cancel = `operations/${accepted.body.operationId}/cancel`;
    const cancelling = await estate.call('POST', cancel, { body: { reason: 'openapi' } });
    expect(cancelling.status).toBe(202);
    check(cancelling, '/operations/{id}/cancel', 'post');
    check(
      await estate.call('POST', cancel, { body: { reason: 'again' } }),
      '/operations/{id}/cancel',
      'post',
    );
    check(await estate.call('POST', cancel, { body: {} }), '/operations/{id}/cancel', 'post');
    const requests = await estate.call('GET', 'requests');
    expect(requests.body.items.length).toBeGreaterThanOrEqual(3); // accepted, conflict, resume
    check(requests, '/requests', 'get');
    check(await estate.call('GET', 'requests?limit=0'), '/requests', 'get');
  });
});
