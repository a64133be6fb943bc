// The stock Azure SDK clients, unmodified (bearer policy included), against the simulator over HTTPS.
import type { LogicManagementClient, Workflow } from '@azure/arm-logic';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  armClientOptionsFor,
  simulatorCredential,
  startArmSimulator,
  type ArmSimulator,
} from '../../../local/sim/arm';
import { healthDefinition, rawRequest, recurrenceDefinition, specProblemsInLog, SUB } from './helpers';
import { oneSubscriptionSeed, simLogicClient } from '../../support/arm-sim';

let sim: ArmSimulator;
let logic: LogicManagementClient;

beforeAll(async () => {
  sim = await startArmSimulator({
    now: new Date('2025-01-01T00:00:00Z'),
    recordBodies: true,
    seed: oneSubscriptionSeed(SUB, [
      {
        name: 'rg-weu',
        location: 'West Europe',
        workflows: [
          ...['wf-a', 'wf-b', 'wf-c', 'wf-d', 'wf-e'].map((name) => ({
            name,
            definition: recurrenceDefinition(),
          })),
          { name: 'health', definition: healthDefinition() },
        ],
        sites: [
          {
            name: 'la-std-weu',
            workflows: [
              { name: 'orders', definition: recurrenceDefinition() },
              { name: 'billing', definition: recurrenceDefinition(), state: 'Disabled' },
            ],
          },
        ],
      },
    ]),
  });
  logic = simLogicClient(sim, SUB);
});

afterAll(async () => {
  await sim?.stop();
});

describe('@azure/arm-logic 8.2.0 against the simulator', () => {
  it('gets a workflow with the fields the adapters read', async () => {
    const wf = await logic.workflows.get('rg-weu', 'wf-a');
    expect(wf.name).toBe('wf-a');
    expect(wf.location).toBe('westeurope');
    expect(wf.state).toBe('Enabled');
    expect(wf.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-weu/providers/Microsoft.Logic/workflows/wf-a`,
    );
    expect(wf.version).toMatch(/^\d{20}$/);
    expect(wf.definition).toMatchObject({ triggers: { Recurrence: { type: 'Recurrence' } } });
  });

  it('lists a resource group across several pages following absolute nextLinks', async () => {
    const pages: string[][] = [];
    for await (const page of logic.workflows.listByResourceGroup('rg-weu', { top: 2 }).byPage()) {
      pages.push(page.map((w) => w.name ?? '?'));
    }
    expect(pages).toEqual([
      ['wf-a', 'wf-b'],
      ['wf-c', 'wf-d'],
      ['wf-e', 'health'],
    ]);
    const nextLinkCalls = sim
      .requestLog()
      .filter((e) => e.path.includes('%24skiptoken=') || e.path.includes('$skiptoken='));
    expect(nextLinkCalls).toHaveLength(2);
  });

  it('creates (201) then updates (200) with createOrUpdate; version changes on every write', async () => {
    const body: Workflow = {
      location: 'North Europe',
      definition: recurrenceDefinition(),
      tags: { app: 'x' },
    };
    const created = await logic.workflows.createOrUpdate('rg-weu', 'created-by-sdk', body);
    expect(created.location).toBe('northeurope');
    expect(created.tags).toEqual({ app: 'x' });
    const updated = await logic.workflows.createOrUpdate('rg-weu', 'created-by-sdk', {
      ...body,
      state: 'Disabled',
    });
    expect(updated.state).toBe('Disabled');
    expect(updated.version).not.toBe(created.version);
    const statuses = sim
      .requestLog()
      .filter((e) => e.method === 'PUT' && e.path.includes('created-by-sdk'))
      .map((e) => e.status);
    expect(statuses).toEqual([201, 200]);
    expect(sim.regions()).toContain('northeurope');
  });

  it('disables and enables a workflow; both are logged as state changes', async () => {
    await logic.workflows.disable('rg-weu', 'wf-b');
    expect((await logic.workflows.get('rg-weu', 'wf-b')).state).toBe('Disabled');
    await logic.workflows.enable('rg-weu', 'wf-b');
    expect((await logic.workflows.get('rg-weu', 'wf-b')).state).toBe('Enabled');
    const changes = sim.stateChanges().filter((c) => c.workflowName === 'wf-b' && c.cause !== 'seed');
    expect(changes.map((c) => [c.from, c.to, c.cause])).toEqual([
      ['Enabled', 'Disabled', 'disable'],
      ['Disabled', 'Enabled', 'enable'],
    ]);
  });

  it('update (PATCH without a body) succeeds; definitions change only through PUT', async () => {
    const before = await logic.workflows.get('rg-weu', 'wf-c');
    const after = await logic.workflows.update('rg-weu', 'wf-c');
    expect(after.definition).toEqual(before.definition);
    expect(after.version).not.toBe(before.version);
  });

  it('lists a callback URL and calling it runs the health-check workflow', async () => {
    const callback = await logic.workflowTriggers.listCallbackUrl('rg-weu', 'health', 'manual');
    expect(callback.method).toBe('GET');
    expect(callback.value).toMatch(
      /^https:\/\/127\.0\.0\.1:\d+\/workflows\/[0-9a-f]{32}\/triggers\/manual\/paths\/invoke\?/,
    );
    expect(callback.value).toContain(sim.runtimeEndpoint('westeurope'));
    const answer = await rawRequest(sim, callback.value!, { token: null });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'Healthy' });
    expect(sim.runs().filter((r) => r.workflowName === 'health' && r.origin === 'callback')).toHaveLength(1);
    // The request log never holds a usable signature.
    const logged = sim.requestLog().filter((e) => e.listener === 'runtime');
    expect(logged.at(-1)?.path).toContain('sig=REDACTED');
    expect(JSON.stringify(sim.requestLog())).not.toContain(callback.queries!.sig!);
  });

  it('versioned listCallbackUrl works for the current version', async () => {
    const wf = await logic.workflows.get('rg-weu', 'health');
    const callback = await logic.workflowVersionTriggers.listCallbackUrl(
      'rg-weu',
      'health',
      wf.version!,
      'manual',
      {
        parameters: { keyType: 'Primary' },
      },
    );
    expect(callback.value).toContain(`/versions/${wf.version}/triggers/manual/paths/invoke`);
    const answer = await rawRequest(sim, callback.value!, { token: null });
    expect(answer.status).toBe(200);
  });

  it('lists triggers and runs; a long run shows up under status eq Running', async () => {
    const triggers = [];
    for await (const t of logic.workflowTriggers.list('rg-weu', 'wf-d')) triggers.push(t);
    expect(triggers.map((t) => [t.name, t.state])).toEqual([['Recurrence', 'Enabled']]);
    expect(triggers[0]?.recurrence).toMatchObject({ frequency: 'Hour', interval: 1 });

    const wf = await logic.workflows.get('rg-weu', 'wf-d');
    const long = sim.startLongRun(wf.id!);
    const running = [];
    for await (const r of logic.workflowRuns.list('rg-weu', 'wf-d', { filter: "status eq 'Running'" }))
      running.push(r);
    expect(running.map((r) => r.name)).toEqual([long.name]);
    const got = await logic.workflowRuns.get('rg-weu', 'wf-d', long.name);
    expect(got.status).toBe('Running');
    sim.finishRun(long.id);
    const after = [];
    for await (const r of logic.workflowRuns.list('rg-weu', 'wf-d', { filter: "status eq 'Running'" }))
      after.push(r);
    expect(after).toEqual([]);
  });

  it('retries a 429 with Retry-After and then succeeds', async () => {
    sim.configureThrottle({ reads: { capacity: 1, refillPerSecond: 1 } });
    try {
      const mark = sim.requestLog().length;
      await logic.workflows.get('rg-weu', 'wf-e');
      const second = await logic.workflows.get('rg-weu', 'wf-e');
      expect(second.name).toBe('wf-e');
      const retried = sim.requestLog().slice(mark);
      expect(retried.find((e) => e.status === 429)?.errorCode).toBe('SubscriptionRequestsThrottled');
      const statuses = retried.map((e) => e.status);
      expect(statuses).toEqual([200, 429, 200]);
    } finally {
      sim.configureThrottle({ reads: { capacity: 250, refillPerSecond: 25 } });
    }
  });

  it('surfaces ARM error codes through RestError', async () => {
    await expect(logic.workflows.get('rg-weu', 'nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    await expect(
      logic.workflowTriggers.listCallbackUrl('rg-weu', 'wf-a', 'Recurrence'),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'ApiNotSupported',
    });
    await expect(logic.workflows.get('rg-missing', 'wf-a')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
    });
  });
});

describe('@azure/arm-appservice 19 (Logic Apps Standard) against the simulator', () => {
  it('reads the site location and flips FlowState through app settings', async () => {
    const web = new WebSiteManagementClient(simulatorCredential, SUB, armClientOptionsFor(sim));
    const site = await web.webApps.get('rg-weu', 'la-std-weu');
    expect(site.location).toBe('westeurope');

    const settings = await web.webApps.listApplicationSettings('rg-weu', 'la-std-weu');
    expect(settings.properties?.['Workflows.billing.FlowState']).toBe('Disabled');
    expect(settings.properties?.['Workflows.orders.FlowState']).toBeUndefined();

    await web.webApps.updateApplicationSettings('rg-weu', 'la-std-weu', {
      properties: {
        ...settings.properties,
        'Workflows.orders.FlowState': 'Disabled',
        'Workflows.billing.FlowState': 'Enabled',
      },
    });
    const states = Object.fromEntries(
      sim
        .workflows()
        .filter((w) => w.plan === 'standard')
        .map((w) => [w.name, w.state]),
    );
    expect(states).toEqual({ orders: 'Disabled', billing: 'Enabled' });
    const changes = sim.stateChanges().filter((c) => c.cause === 'appsettings');
    expect(changes.map((c) => [c.workflowName, c.to])).toEqual([
      ['orders', 'Disabled'],
      ['billing', 'Enabled'],
    ]);
    const putVersion = sim
      .requestLog()
      .find((e) => e.method === 'PUT' && e.path.includes('/config/appsettings'));
    expect(putVersion?.path).toMatch(/api-version=\d{4}-\d{2}-\d{2}/);
  });
});

describe('raw HTTPS checks the SDK cannot show', () => {
  it('answers 401 without a bearer token', async () => {
    const res = await rawRequest(
      sim,
      `${sim.armEndpoint}/subscriptions/${SUB}/resourceGroups/rg-weu/providers/Microsoft.Logic/workflows/wf-a?api-version=2019-05-01`,
      { token: null },
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('every ARM response of this file validates against the spec subset', () => {
    const { checked, problems } = specProblemsInLog(sim.requestLog());
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(3);
  });
});
