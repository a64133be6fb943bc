// Contract: the simulator's ARM responses against the official 2019-05-01 spec subset and its examples.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArmSimulator, type ArmSimulator } from '../../../local/sim/arm';
import {
  armUrl,
  exampleFiles,
  findOperation,
  healthDefinition,
  operations,
  rawRequest,
  readExample,
  recurrenceTrigger,
  shapeDifferences,
  specProblems,
  specProblemsInLog,
  workflowPath,
} from './helpers';
import { oneSubscriptionSeed } from '../../support/arm-sim';

const SUB = '34adfa4f-cedf-4dc0-ba29-b6d1a69ab345';
/** Client-defined subtrees: their content is the client's, not a response shape. */
const OPAQUE = new Set(['definition', 'parameters', 'outputs']);

let sim: ArmSimulator;

function exampleBody(response: Record<string, unknown> | undefined): unknown {
  if (response === undefined) return undefined;
  // Older examples put the body directly under the status code, newer ones under "body".
  if ('body' in response) return response.body;
  return Object.keys(response).length === 0 ? undefined : response;
}

/** Builds the example's request URL from its operation's path template and parameters. */
function exampleUrl(
  template: string,
  parameters: Record<string, unknown>,
  overrides: Record<string, string> = {},
): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(overrides[name] ?? String(parameters[name])),
  );
  return armUrl(sim, path, String(parameters['api-version']));
}

interface Replay {
  status: number;
  body: unknown;
  differences: string[];
}

async function replay(
  file: string,
  options: { overrides?: Record<string, string>; body?: unknown; expectStatus?: string } = {},
): Promise<Replay> {
  const example = readExample(file);
  const op = operations.find((o) => o.examples.includes(file));
  if (!op) throw new Error(`no operation names ${file}`);
  const bodyParam = ['workflow', 'setState', 'parameters'].find(
    (p) => typeof example.parameters[p] === 'object',
  );
  const requestBody = options.body ?? (bodyParam ? example.parameters[bodyParam] : undefined);
  const res = await rawRequest(sim, exampleUrl(op.template, example.parameters, options.overrides), {
    method: op.method,
    body: requestBody,
  });
  const expectedStatus = options.expectStatus ?? Object.keys(example.responses)[0] ?? '200';
  const expected = exampleBody(example.responses[expectedStatus]);
  const actual = res.body === '' ? undefined : (JSON.parse(res.body) as unknown);
  const differences =
    expected === undefined
      ? actual === undefined
        ? []
        : ['$: the example has no body']
      : shapeDifferences(expected, actual, '$', OPAQUE);
  return { status: res.status, body: actual, differences };
}

beforeAll(async () => {
  sim = await startArmSimulator({
    now: new Date('2018-08-10T20:00:00Z'),
    recordBodies: true,
    seed: oneSubscriptionSeed(SUB, [
      { name: 'test-resource-group', location: 'brazilsouth' },
      {
        name: 'testResourceGroup',
        location: 'brazilsouth',
        workflows: [
          {
            name: 'testWorkflow',
            definition: { triggers: { testTrigger: recurrenceTrigger() } },
          },
          {
            name: 'testWorkflowName',
            definition: {
              triggers: { testTriggerName: { type: 'Request', kind: 'Http', inputs: {} } },
            },
          },
        ],
      },
      {
        name: 'sourceResGroup',
        location: 'brazilsouth',
        workflows: [
          {
            name: 'sourceWorkflow',
            state: 'Disabled',
            definition: { triggers: { sourceTrigger: recurrenceTrigger() } },
          },
        ],
      },
    ]),
  });
});

afterAll(async () => {
  await sim?.stop();
});

describe('official examples replayed against the simulator', () => {
  it('lists which examples exist and which the spec names but are missing', () => {
    const named = [...new Set(operations.flatMap((o) => o.examples))].sort();
    const present = exampleFiles();
    expect(named.filter((f) => !present.includes(f))).toEqual([
      'WorkflowTriggers_ListCallbackUrl.json',
      'Workflows_Disable.json',
      'Workflows_Enable.json',
    ]);
    expect(present.filter((f) => !named.includes(f))).toEqual([]);
  });

  it('Workflows_CreateOrUpdate: 201 on create, then the example 200 on update', async () => {
    const first = await replay('Workflows_CreateOrUpdate.json');
    expect(first.status).toBe(201);
    const second = await replay('Workflows_CreateOrUpdate.json');
    expect(second.status).toBe(200);
    // Recorded deviations: the example response omits the resource envelope the spec's Workflow has (and the
    // service returns); it also shows an ISE and accessControl the request never sent, which the sim cannot invent.
    expect(second.differences).toEqual([
      '$.properties.integrationServiceEnvironment: missing',
      '$.properties.accessControl: missing',
      '$.id: not in the example',
      '$.name: not in the example',
      '$.type: not in the example',
      '$.location: not in the example',
      '$.tags: not in the example',
    ]);
  });

  it('Workflows_Get and Workflows_ListByResourceGroup match the examples once seeded with what they show', async () => {
    // Seed the extra properties the Get example carries (they round-trip like any client property).
    const get = readExample('Workflows_Get.json');
    const shown = (exampleBody(get.responses['200']) as { properties: Record<string, unknown> }).properties;
    const put = await rawRequest(
      sim,
      armUrl(sim, workflowPath(SUB, 'test-resource-group', 'test-workflow')),
      {
        method: 'PUT',
        body: {
          location: 'brazilsouth',
          tags: {},
          properties: {
            definition: healthDefinition(),
            integrationAccount: { id: (shown.integrationAccount as { id: string }).id },
            integrationServiceEnvironment: { id: (shown.integrationServiceEnvironment as { id: string }).id },
            accessControl: shown.accessControl,
          },
        },
      },
    );
    expect(put.status).toBe(200);
    const got = await replay('Workflows_Get.json');
    expect(got.status).toBe(200);
    expect(got.differences).toEqual([]);
    const list = await replay('Workflows_ListByResourceGroup.json');
    expect(list.status).toBe(200);
    // Value differences from the seed, not shape: the list example's item has no ISE and an empty accessControl.
    expect(list.differences).toEqual([
      '$.value[0].properties.accessControl.triggers: not in the example',
      '$.value[0].properties.integrationServiceEnvironment: not in the example',
    ]);
  });

  it('Workflows_Update: the example body is rejected as the service does; a tags-only PATCH replays', async () => {
    const asIs = await replay('Workflows_Update.json');
    expect(asIs.status).toBe(400);
    expect(asIs.body).toMatchObject({ error: { code: 'InvalidPatchWorkflowRequest' } });
    const tagsOnly = await replay('Workflows_Update.json', { body: { tags: { owner: 'dr' } } });
    expect(tagsOnly.status).toBe(200);
    expect((tagsOnly.body as { tags: unknown }).tags).toEqual({ owner: 'dr' });
    // The envelope again (see CreateOrUpdate), plus the seeded ISE / accessControl values.
    expect(tagsOnly.differences).toEqual([
      '$.properties.accessControl.triggers: not in the example',
      '$.properties.integrationServiceEnvironment: not in the example',
      '$.id: not in the example',
      '$.name: not in the example',
      '$.type: not in the example',
      '$.location: not in the example',
      '$.tags: not in the example',
    ]);
  });

  it('WorkflowTriggers_List / _Get / _Run', async () => {
    const list = await replay('WorkflowTriggers_List.json');
    expect([list.status, list.differences]).toEqual([200, []]);
    const get = await replay('WorkflowTriggers_Get.json');
    expect([get.status, get.differences]).toEqual([200, []]);
    const run = await replay('WorkflowTriggers_Run.json');
    expect([run.status, run.differences]).toEqual([200, []]);
  });

  it('WorkflowRuns_List / _Get (run name substituted: the example run does not exist)', async () => {
    const list = await replay('WorkflowRuns_List.json');
    expect([list.status, list.differences]).toEqual([200, []]);
    const runName = (list.body as { value: { name: string }[] }).value[0]!.name;
    const get = await replay('WorkflowRuns_Get.json', { overrides: { runName } });
    expect([get.status, get.differences]).toEqual([200, []]);
    const missing = await replay('WorkflowRuns_Get.json');
    expect(missing.status).toBe(404);
  });

  it('WorkflowTriggers_SetState copies the source trigger state', async () => {
    const res = await replay('WorkflowTriggers_SetState.json');
    expect([res.status, res.differences]).toEqual([200, []]);
    const trigger = await rawRequest(
      sim,
      armUrl(sim, `${workflowPath(SUB, 'testResourceGroup', 'testWorkflow')}/triggers/testTrigger`),
    );
    expect(JSON.parse(trigger.body).properties.state).toBe('Disabled');
  });

  it('WorkflowVersionTriggers_ListCallbackUrl (version substituted with the current one)', async () => {
    const wf = await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'testResourceGroup', 'testWorkflowName')));
    const versionId = JSON.parse(wf.body).properties.version as string;
    const res = await replay('WorkflowVersionTriggers_ListCallbackUrl.json', { overrides: { versionId } });
    expect([res.status, res.differences]).toEqual([200, []]);
    const unknown = await replay('WorkflowVersionTriggers_ListCallbackUrl.json');
    expect(unknown.status).toBe(404);
  });

  it('Workflows_Delete: 200 when it existed, 204 when absent', async () => {
    const first = await replay('Workflows_Delete.json');
    expect([first.status, first.differences]).toEqual([200, []]);
    const second = await replay('Workflows_Delete.json', { expectStatus: '204' });
    expect([second.status, second.differences]).toEqual([204, []]);
  });

  it('the operations without examples (enable, disable, triggers listCallbackUrl) answer as the spec says', async () => {
    const base = workflowPath(SUB, 'testResourceGroup', 'testWorkflowName');
    for (const action of ['disable', 'enable']) {
      const res = await rawRequest(sim, armUrl(sim, `${base}/${action}`), { method: 'POST' });
      expect([res.status, res.body]).toEqual([200, '']);
      expect(specProblems('POST', `${base}/${action}`, res.status, res.body)).toEqual([]);
    }
    const cb = await rawRequest(sim, armUrl(sim, `${base}/triggers/testTriggerName/listCallbackUrl`), {
      method: 'POST',
    });
    expect(cb.status).toBe(200);
    expect(findOperation('POST', `${base}/triggers/testTriggerName/listCallbackUrl`)?.operationId).toBe(
      'WorkflowTriggers_ListCallbackUrl',
    );
    expect(
      specProblems('POST', `${base}/triggers/testTriggerName/listCallbackUrl`, cb.status, cb.body),
    ).toEqual([]);
  });
});

describe('error answers follow ARM conventions', () => {
  it('wrong or missing api-version, unknown resource group, unknown workflow', async () => {
    const path = workflowPath(SUB, 'testResourceGroup', 'testWorkflow');
    const wrong = await rawRequest(sim, armUrl(sim, path, '2016-06-01'));
    expect([wrong.status, JSON.parse(wrong.body).error.code]).toEqual([400, 'InvalidApiVersionParameter']);
    const missing = await rawRequest(sim, armUrl(sim, path, null));
    expect([missing.status, JSON.parse(missing.body).error.code]).toEqual([
      400,
      'MissingApiVersionParameter',
    ]);
    const noGroup = await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'nope', 'testWorkflow')));
    expect([noGroup.status, JSON.parse(noGroup.body).error.code]).toEqual([404, 'ResourceGroupNotFound']);
    const noWorkflow = await rawRequest(sim, armUrl(sim, workflowPath(SUB, 'testResourceGroup', 'nope')));
    expect([noWorkflow.status, JSON.parse(noWorkflow.body).error.code]).toEqual([404, 'ResourceNotFound']);
    const noSub = await rawRequest(
      sim,
      armUrl(sim, workflowPath('00000000-0000-0000-0000-000000000000', 'rg', 'x')),
    );
    expect([noSub.status, JSON.parse(noSub.body).error.code]).toEqual([404, 'SubscriptionNotFound']);
  });

  it('PUT validation: location required on create, definition must be an object', async () => {
    const path = workflowPath(SUB, 'testResourceGroup', 'new-one');
    const noLocation = await rawRequest(sim, armUrl(sim, path), {
      method: 'PUT',
      body: { properties: { definition: {} } },
    });
    expect([noLocation.status, JSON.parse(noLocation.body).error.code]).toEqual([400, 'LocationRequired']);
    const badDefinition = await rawRequest(sim, armUrl(sim, path), {
      method: 'PUT',
      body: { location: 'brazilsouth', properties: { definition: 'nope' } },
    });
    expect([badDefinition.status, JSON.parse(badDefinition.body).error.code]).toEqual([
      400,
      'InvalidRequestContent',
    ]);
    const badRecurrence = await rawRequest(sim, armUrl(sim, path), {
      method: 'PUT',
      body: {
        location: 'brazilsouth',
        properties: {
          definition: { triggers: { r: { type: 'Recurrence', recurrence: { frequency: 'Fortnight' } } } },
        },
      },
    });
    expect([badRecurrence.status, JSON.parse(badRecurrence.body).error.code]).toEqual([
      400,
      'InvalidTemplate',
    ]);
    expect(JSON.parse(badRecurrence.body).error.message).toContain('triggers.r.recurrence');
  });

  it('keeps unknown properties the client sent (round-trip)', async () => {
    const path = workflowPath(SUB, 'testResourceGroup', 'round-trip');
    const put = await rawRequest(sim, armUrl(sim, path), {
      method: 'PUT',
      body: {
        location: 'brazilsouth',
        properties: { definition: {}, futureFeature: { on: true }, provisioningState: 'Failed' },
      },
    });
    expect(put.status).toBe(201);
    const got = JSON.parse((await rawRequest(sim, armUrl(sim, path))).body);
    expect(got.properties.futureFeature).toEqual({ on: true });
    expect(got.properties.provisioningState).toBe('Succeeded');
  });
});

describe('spec validation of everything this file received', () => {
  it('every ARM response body validates against the subset', () => {
    const { checked, problems } = specProblemsInLog(sim.requestLog());
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('the validator itself rejects a wrong shape (so the check above can fail)', () => {
    const path = workflowPath(SUB, 'rg', 'wf');
    expect(specProblems('GET', path, 200, JSON.stringify({ properties: { state: 'Sleeping' } }))).not.toEqual(
      [],
    );
    expect(
      specProblems('GET', path, 200, JSON.stringify({ properties: { createdTime: 'yesterday' } })),
    ).not.toEqual([]);
  });
});
