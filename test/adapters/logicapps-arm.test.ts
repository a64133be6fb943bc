import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { armClientOptionsFor, simulatorCredential } from '../../local/sim/arm';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import type { WorkflowLocator } from '../../src/adapters/logicapps/port';
import {
  ArmConcurrencyError,
  ArmTerminalError,
  ArmTransientError,
  classifyArmError,
} from '../../src/adapters/arm/errors';
import { ArmThrottle } from '../../src/adapters/arm/throttle';
import { createArmAgent } from '../../src/adapters/arm/agent';
import {
  armConnectionFromSettings,
  armEndpointFromSettings,
  armTimeoutFromSettings,
  ArmSettingsError,
} from '../../src/config/arm';
import { rawRequest, startCheckedSimulator, type CheckedSimulator } from '../sim/arm/helpers';
import { oneSubscriptionSeed, simLogicAppsControl } from '../support/arm-sim';

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

let sim: CheckedSimulator;
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
const control = (extra: { throttle?: ArmThrottle; maxRetries?: number; timeoutMs?: number } = {}) =>
  simLogicAppsControl(sim, extra);

beforeAll(async () => {
  sim = await startCheckedSimulator({
    now: new Date('2026-01-01T00:00:00Z'),
    seed: oneSubscriptionSeed(SUB, [
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
    ]),
  });
});
// stop() also fails the file if any ARM answer of these tests was outside the official spec.
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

  it('gets a Request trigger callback URL that answers, and its sig reaches no error or request log', async () => {
    const url = await control().getCallbackUrl(wf('health', 'rg-weu'), 'manual');
    const sig = new URL(url).searchParams.get('sig');
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/workflows\/.+/);
    expect(sig).toMatch(/^[\w-]{16,}$/);
    // The URL works: the health-check workflow answers through it with its Response action.
    const answer = await rawRequest(sim, url, { method: 'POST', token: null });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'Healthy' });

    // The simulator saw the call (runtime listener) and the ARM listCallbackUrl, and logged neither sig.
    const log = sim.requestLog();
    expect(
      log.some((r) => r.listener === 'runtime' && r.status === 200 && r.path.includes('sig=REDACTED')),
    ).toBe(true);
    expect(log.some((r) => r.listener === 'arm' && r.path.includes('/listCallbackUrl'))).toBe(true);
    expect(JSON.stringify(log)).not.toContain(sig!);

    // An ARM error that echoes the URL (message or body) is classified without the sig, whatever prints it.
    const echoed = Object.assign(new Error(`POST ${url} failed`), {
      statusCode: 502,
      response: {
        headers: { get: () => undefined },
        bodyAsText: JSON.stringify({ error: { code: 'BadGateway', message: `upstream ${url} reset` } }),
      },
    });
    const classified = classifyArmError(echoed, { operation: 'probe', target: 'primary:health' });
    expect(classified).toBeInstanceOf(ArmTransientError);
    expect(classified.message).toContain('sig=REDACTED');
    expect(inspect(classified, { depth: 6 })).not.toContain(sig!);
    expect(JSON.stringify(classified)).not.toContain(sig!);
    expect(
      classifyArmError(new Error(`request to ${url} failed`), { operation: 'probe', target: 't' }).message,
    ).not.toContain(sig!);

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

  it('retries a 429 through the SDK no sooner than its Retry-After, then succeeds', async () => {
    // One read token refilled at 1/s: the second read is refused with Retry-After: 1, its retry is allowed.
    sim.configureThrottle({ reads: { capacity: 1, refillPerSecond: 1 } });
    try {
      const throttle = new ArmThrottle();
      const c = control({ maxRetries: 2, throttle });
      await c.getWorkflow(wf('report'));
      const info = await c.getWorkflow(wf('report'));
      expect(info.state).toBe('Disabled');
      const reads = sim
        .requestLog()
        .filter((r) => r.method === 'GET' && r.path.split('?')[0]!.endsWith('/workflows/report'));
      expect(reads.map((r) => r.status)).toEqual([200, 429, 200]);
      expect(reads[1]!.errorCode).toBe('SubscriptionRequestsThrottled');
      const waited = Date.parse(reads[2]!.realTime) - Date.parse(reads[1]!.realTime);
      expect(waited).toBeGreaterThanOrEqual(1000);
      expect(throttle.stats.throttled).toBe(1);
    } finally {
      sim.configureThrottle({ reads: { capacity: 250, refillPerSecond: 25 } });
    }
  });

  it('reports a 429 as transient with its Retry-After when retries run out', async () => {
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

  it('gives up on a region whose connections hang after the request timeout, as unreachable (both SDKs)', async () => {
    sim.outage('northeurope', { kind: 'down', mode: 'hang' });
    // SDK retries on: a timed-out attempt is still not retried, one hung attempt is enough.
    const c = control({ timeoutMs: 300, maxRetries: 2 });
    const errors = await Promise.all(
      [
        c.getWorkflow(wf('report')),
        c.getWorkflow(std('ledger')),
        c.setState(wf('webhook'), 'Enabled', { knownState: 'Disabled' }),
      ].map((p) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    for (const err of errors) {
      expect(err).toBeInstanceOf(ArmTransientError);
      expect(err).toMatchObject({ status: undefined, code: 'ETIMEDOUT' });
      expect((err as Error).message).toMatch(/ARM unreachable .*no answer within 300 ms/);
    }
    const held = sim.requestLog().filter((r) => r.outcome === 'held');
    expect(held.map((r) => r.method).sort()).toEqual(['GET', 'GET', 'POST']);
    sim.restore('northeurope');
    expect((await control().getWorkflow(wf('webhook'))).state).toBe('Disabled');
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
    const web = new WebSiteManagementClient(simulatorCredential, SUB, armClientOptionsFor(sim));
    const settings = (await web.webApps.listApplicationSettings('rg-neu', 'la-neu')).properties!;
    expect(settings).toMatchObject({
      FUNCTIONS_EXTENSION_VERSION: '~4',
      'Custom.Setting': 'keep-me',
      'Workflows.ledger.FlowState': 'Disabled',
    });
  });

  /** The control over a pool of the test's own (cold), so the simulator's connection numbers are its alone. */
  const controlOver = (agent: ReturnType<typeof createArmAgent>) => simLogicAppsControl(sim, { agent });

  it('sends every request over one kept-alive connection when they come one at a time, whatever the client', async () => {
    // A cold pool of its own: the simulator numbers the TLS connections each request came in on.
    const agent = createArmAgent({ ca: sim.caCertPem });
    try {
      const c = controlOver(agent);
      for (const [state, was] of [
        ['Enabled', 'Disabled'],
        ['Disabled', 'Enabled'],
      ] as const) {
        for (let i = 0; i < 4; i++) {
          await c.getWorkflow(wf(`bulk-${i}`));
          await c.setState(wf(`bulk-${i}`), state, { knownState: was });
        }
        // The other SDK's client (app settings): read, then written when the state differs.
        await c.setState(std('ledger'), state);
      }
      const log = sim.requestLog().filter((r) => r.listener === 'arm');
      expect(log.every((r) => r.status === 200)).toBe(true);
      expect(log.filter((r) => r.method === 'GET')).toHaveLength(8);
      expect(log.filter((r) => r.path.includes('/workflows/bulk-') && r.method === 'POST')).toHaveLength(8);
      const site = log.filter((r) => r.path.includes('/sites/la-neu/'));
      expect(site.filter((r) => r.method === 'POST')).toHaveLength(2); // list app settings
      expect(site.filter((r) => r.method === 'PUT').length).toBeGreaterThanOrEqual(1); // ledger flipped
      expect(new Set(log.map((r) => r.connection))).toEqual(new Set([log[0]!.connection]));
      expect(log[0]!.connection).toBeGreaterThan(0);
    } finally {
      agent.destroy();
    }
  });

  it('opens no more connections than the pool allows; the requests beyond wait for one and all succeed', async () => {
    const agent = createArmAgent({ ca: sim.caCertPem, maxSockets: 3 });
    try {
      const c = controlOver(agent);
      const all = Array.from({ length: 12 }, (_, i) => wf(`bulk-${i}`));
      await Promise.all(all.map((t) => c.setState(t, 'Enabled', { knownState: 'Disabled' })));
      await Promise.all(all.map((t) => c.setState(t, 'Disabled', { knownState: 'Enabled' })));
      const log = sim.requestLog().filter((r) => r.listener === 'arm');
      expect(log.map((r) => r.status)).toEqual(Array(24).fill(200));
      const connections = new Set(log.map((r) => r.connection));
      expect(connections.size).toBeGreaterThanOrEqual(1);
      expect(connections.size).toBeLessThanOrEqual(3);
    } finally {
      agent.destroy();
    }
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

describe('ARM settings (validated once, at start-up)', () => {
  it('derives the token scope from DR_ARM_ENDPOINT, and the SDK asks the credential for exactly that', async () => {
    expect(armEndpointFromSettings({ DR_ARM_ENDPOINT: 'https://management.usgovcloudapi.net/' })).toEqual({
      endpoint: 'https://management.usgovcloudapi.net/',
      credentialScopes: ['https://management.usgovcloudapi.net/.default'],
    });
    expect(
      armEndpointFromSettings({
        DR_ARM_ENDPOINT: 'https://management.chinacloudapi.cn',
        DR_ARM_SCOPE: 'https://management.core.chinacloudapi.cn/.default',
      })?.credentialScopes,
    ).toEqual(['https://management.core.chinacloudapi.cn/.default']);
    expect(armEndpointFromSettings({})).toBeUndefined();
    expect(armConnectionFromSettings({}).credentialScopes).toBeUndefined(); // the SDK's public-cloud default

    const connection = armConnectionFromSettings({ DR_ARM_ENDPOINT: sim.armEndpoint });
    const asked: string[] = [];
    const credential = {
      getToken: async (scopes: string | string[]) => {
        asked.push(...[scopes].flat());
        return { token: 'sovereign-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const c = createArmLogicAppsControl({ ...connection, credential, agent: sim.agent, maxRetries: 0 });
    expect((await c.getWorkflow(wf('report'))).location).toBe('northeurope');
    expect([...new Set(asked)]).toEqual([`${sim.armEndpoint}/.default`]);
  });

  it('gives every ARM client one pooled agent, trusting DR_ARM_CA_FILE when set, and none behind a proxy', async () => {
    expect(armConnectionFromSettings({}).agent).toBeInstanceOf(Agent);
    expect(armConnectionFromSettings({ HTTPS_PROXY: 'http://proxy.invalid:3128' }).agent).toBeUndefined();
    expect(armConnectionFromSettings({ http_proxy: 'http://proxy.invalid:3128' }).agent).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'dr-ca-'));
    try {
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, sim.caCertPem);
      const connection = armConnectionFromSettings({
        DR_ARM_ENDPOINT: sim.armEndpoint,
        DR_ARM_CA_FILE: caFile,
      });
      const c = createArmLogicAppsControl({ ...connection, credential: simulatorCredential, maxRetries: 0 });
      await c.getWorkflow(wf('report'));
      await c.getWorkflow(wf('webhook'));
      const log = sim.requestLog();
      expect(log.map((r) => r.status)).toEqual([200, 200]);
      expect(log[1]!.connection).toBe(log[0]!.connection);
      connection.agent!.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a DR_ARM_ENDPOINT that is not an https URL, naming the setting', () => {
    expect(() => armEndpointFromSettings({ DR_ARM_ENDPOINT: 'management.usgovcloudapi.net' })).toThrow(
      /DR_ARM_ENDPOINT: "management.usgovcloudapi.net" is not a URL/,
    );
    expect(() => armEndpointFromSettings({ DR_ARM_ENDPOINT: 'http://127.0.0.1:1' })).toThrow(
      ArmSettingsError,
    );
  });

  it('reads DR_ARM_TIMEOUT as an ISO duration or milliseconds, 15 s by default, and refuses nonsense', () => {
    expect(armTimeoutFromSettings({})).toBe(15_000);
    expect(armTimeoutFromSettings({ DR_ARM_TIMEOUT: 'PT30S' })).toBe(30_000);
    expect(armTimeoutFromSettings({ DR_ARM_TIMEOUT: ' 2500 ' })).toBe(2_500);
    expect(armConnectionFromSettings({ DR_ARM_TIMEOUT: 'PT5S' }).timeoutMs).toBe(5_000);
    expect(() => armTimeoutFromSettings({ DR_ARM_TIMEOUT: 'soon' })).toThrow(
      /DR_ARM_TIMEOUT: "soon" is not an ISO 8601 duration.*or a number of milliseconds/,
    );
    expect(() => armTimeoutFromSettings({ DR_ARM_TIMEOUT: 'PT0.2S' })).toThrow(
      /DR_ARM_TIMEOUT: "PT0.2S" is 200 ms; it must be between 1000 ms/,
    );
    expect(() => armTimeoutFromSettings({ DR_ARM_TIMEOUT: 'PT1H' })).toThrow(ArmSettingsError);
    expect(() => armConnectionFromSettings({ DR_ARM_TIMEOUT: '-1' })).toThrow(/DR_ARM_TIMEOUT/);
  });
});
