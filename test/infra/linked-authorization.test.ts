/**
 * A rewrite of a split schedule PUTs the workflow back with its `$connections`, user-assigned identities and
 * integration account, and ARM authorizes each of those besides workflows/write. The deployment must grant
 * join/assign on exactly what the plan's rewrite-mode workflows link to: the hook reads that through ARM
 * (WorkflowInfo.linked), planTargets places each resource in its own resource group, and rbac.bicep assigns
 * the linked-resources role on it. The ARM simulator holds the caller to those grants (403
 * LinkedAuthorizationFailed otherwise), so the rewrite works with the roles the hook derives and fails without.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimSeed } from '../../local/sim/arm';
import { ArmTerminalError } from '../../src/adapters/arm/errors';
import { checkReadiness } from '../../src/cli/readiness';
import { parsePlan } from '../../src/plan/load';
import { startCheckedSimulator, type CheckedSimulator } from '../sim/arm/helpers';
import { oneSubscriptionSeed, simLogicAppsControl } from '../support/arm-sim';
import { INFRA } from './bicep';

const SUB = '0d6c1e51-7c3b-4d8a-9f7e-1a2b3c4d5e6f';
const id = (rg: string, type: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/${type}/${name}`;
const CONNECTION = id('rg-connections-neu', 'Microsoft.Web/connections', 'sql');
const IDENTITY = id('rg-identities', 'Microsoft.ManagedIdentity/userAssignedIdentities', 'id-settlement');
const ACCOUNT = id('rg-neu', 'Microsoft.Logic/integrationAccounts', 'ia-neu');

const seed: SimSeed = oneSubscriptionSeed(SUB, [
  {
    name: 'rg-weu',
    location: 'westeurope',
    workflows: ['settlement-even', 'settlement-odd'].map((name) => ({
      name,
      definition: {
        triggers: {
          Recurrence: {
            type: 'Recurrence',
            recurrence: { frequency: 'Hour', interval: 2, startTime: '2024-01-01T00:00:00Z' },
          },
        },
        actions: {},
      },
    })),
  },
  {
    name: 'rg-neu',
    location: 'northeurope',
    workflows: [
      {
        name: 'settlement',
        state: 'Disabled',
        definition: {
          parameters: { $connections: { type: 'Object', defaultValue: {} } },
          triggers: {
            Recurrence: {
              type: 'Recurrence',
              recurrence: { frequency: 'Hour', interval: 1, startTime: '2024-01-01T00:00:00Z' },
            },
          },
          actions: {},
        },
        parameters: {
          $connections: {
            value: {
              sql: {
                connectionId: CONNECTION,
                connectionName: 'sql',
                id: `/subscriptions/${SUB}/providers/Microsoft.Web/locations/northeurope/managedApis/sql`,
              },
            },
          },
        },
        identity: { type: 'UserAssigned', userAssignedIdentities: { [IDENTITY]: {} } },
        integrationAccount: { id: ACCOUNT },
      },
    ],
    integrationAccounts: [{ name: 'ia-neu', location: 'northeurope' }],
  },
]);

const plan = {
  id: 'linked',
  primary: { location: 'westeurope', subscriptionId: SUB, resourceGroup: 'rg-weu' },
  secondary: { location: 'northeurope', subscriptionId: SUB, resourceGroup: 'rg-neu' },
  workflows: [
    {
      name: 'settlement',
      role: 'split-recurrence',
      trigger: 'recurrence',
      schedule: { every: 'PT1H', anchor: '2024-01-01T00:00:00Z' },
      primary: { active: 'settlement-even', passive: 'settlement-odd' },
      secondary: { workflow: 'settlement', mode: 'rewrite' },
    },
  ],
};

interface Group {
  subscriptionId: string;
  resourceGroup: string;
  linked: Record<'connections' | 'userAssignedIdentities' | 'integrationAccounts', string[]>;
  rewriteWorkflows: string[];
}
interface Hook {
  planTargets(plan: unknown, options?: { linked?: Map<string, unknown> }): { targets: { groups: Group[] } };
  readLinkedResources(
    targets: { groups: Group[] },
    get: (t: { subscriptionId: string; resourceGroup: string; name: string }) => Promise<unknown>,
  ): Promise<{ linked: Map<string, unknown>; unread: string[] }>;
}

const TYPES = {
  connections: 'Microsoft.Web/connections',
  userAssignedIdentities: 'Microsoft.ManagedIdentity/userAssignedIdentities',
  integrationAccounts: 'Microsoft.Logic/integrationAccounts',
} as const;

/** The resources rbac.bicep assigns the linked-resources role on: `existing` by name in each group. */
const grantedBy = (groups: Group[]) =>
  groups.flatMap((g) =>
    (Object.keys(TYPES) as (keyof typeof TYPES)[]).flatMap((kind) =>
      g.linked[kind].map((name) => id(g.resourceGroup, TYPES[kind], name)),
    ),
  );

const sims: CheckedSimulator[] = [];
const start = async (linkedResources?: string[]) => {
  const sim = await startCheckedSimulator({
    now: new Date('2026-01-01T00:00:00Z'),
    seed,
    ...(linkedResources ? { grants: { linkedResources } } : {}),
  });
  sims.push(sim);
  return {
    sim,
    control: simLogicAppsControl(sim),
  };
};
const settlement = { subscriptionId: SUB, resourceGroup: 'rg-neu', name: 'settlement' };
const every30 = { frequency: 'Minute', interval: 30 };

let hook: Hook;
let granted: string[];
beforeAll(async () => {
  hook = (await import(pathToFileURL(join(INFRA, 'hooks/plan-targets.mjs')).href)) as Hook;
  // What the preprovision hook does: read the rewrite-mode workflows through ARM, then place the grants.
  const { control } = await start();
  const read = await hook.readLinkedResources(hook.planTargets(plan).targets, (t) => control.getWorkflow(t));
  expect(read.unread).toEqual([]);
  granted = grantedBy(hook.planTargets(plan, { linked: read.linked }).targets.groups);
}, 60_000);

afterAll(async () => {
  await Promise.all(sims.map((s) => s.stop()));
});

describe('linked authorization on a rewrite', () => {
  it('the hook grants join/assign on exactly the connection, identity and integration account the workflow links to', () => {
    expect(granted.sort()).toEqual([ACCOUNT, CONNECTION, IDENTITY].sort());
  });

  it('with those grants the rewrite succeeds, and keeps the links', async () => {
    const { control } = await start(granted);
    expect(await control.setRecurrence(settlement, every30)).toEqual({ changed: true });
    const after = await control.getWorkflow(settlement);
    expect(after.linked).toEqual({
      connections: [CONNECTION],
      userAssignedIdentities: [IDENTITY],
      integrationAccounts: [ACCOUNT],
    });
  });

  it('without them (what the deployment granted before) ARM refuses the PUT: 403 LinkedAuthorizationFailed', async () => {
    const { control } = await start([]);
    const err = await control.setRecurrence(settlement, every30).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ArmTerminalError);
    expect(String((err as Error).message)).toMatch(/LinkedAuthorizationFailed|linked scope/);
  });

  it('one missing grant is enough to refuse it, and the message names the action and the resource', async () => {
    const { sim, control } = await start(granted.filter((g) => g !== IDENTITY));
    await expect(control.setRecurrence(settlement, every30)).rejects.toThrow();
    const refused = sim.requestLog().filter((e) => e.method === 'PUT');
    expect(refused.map((e) => [e.status, e.errorCode])).toEqual([[403, 'LinkedAuthorizationFailed']]);
  });
});

describe('dr ready', () => {
  it('says what a rewrite-mode workflow links to and which action the control plane needs on each', async () => {
    const { control } = await start();
    const { plan: checked } = parsePlan(
      JSON.stringify({
        ...plan,
        healthCheck: { workflow: 'dr-healthcheck', trigger: 'manual', timeout: 'PT10S' },
        policy: { probeInterval: 'PT30S', failureThreshold: 3 },
      }),
      'plan.json',
      '.',
    );
    const report = await checkReadiness(checked, control);
    const linked = report.checks.filter((c) => c.check === 'linked-access');
    expect(linked).toHaveLength(1);
    expect(linked[0]!.status).toBe('skip');
    for (const text of [
      `Microsoft.Web/connections/join/action on ${CONNECTION}`,
      `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action on ${IDENTITY}`,
      `Microsoft.Logic/integrationAccounts/join/action on ${ACCOUNT}`,
    ])
      expect(linked[0]!.detail).toContain(text);
  });
});
