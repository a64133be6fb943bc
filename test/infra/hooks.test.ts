import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PlanSchema } from '../../src/plan/schema';
import { watchdogScheduleFor } from '../../src/config/watchdog-schedule';
import { type BicepFile, INFRA, REPO, declarations, loadInfra } from './bicep';

interface Linked {
  connections: string[];
  userAssignedIdentities: string[];
  integrationAccounts: string[];
}
interface Scope {
  subscriptionId: string;
  resourceGroup: string;
  workflows: string[];
  rewriteWorkflows: string[];
  sites: string[];
  healthCheckWorkflows: string[];
  linked: Linked;
}
interface Targets {
  plan: { id: string; primary: { location: string }; secondary: { location: string } };
  groups: Scope[];
  scopes: (Scope & { first: boolean })[];
  healthCheck: { enabled: boolean; subscriptionId: string; resourceGroup: string; name: string };
  serviceBus: {
    enabled: boolean;
    fullyQualifiedNamespace: string;
    namespaceName: string;
    entityKind: 'queue' | 'topic';
    entityName: string;
    subscriptionId: string;
    resourceGroup: string;
  };
}
interface PlanTargetsOptions {
  linked?: Map<string, Linked>;
  serviceBusScope?: { create: boolean; resourceGroup?: string; subscriptionId?: string };
}
interface PlanTargetsModule {
  planTargets(
    plan: unknown,
    options?: PlanTargetsOptions,
  ): { targets: Targets; warnings: string[]; unknownLinks: string[] };
  workflowKey(subscriptionId: string, resourceGroup: string, name: string): string;
  readLinkedResources(
    targets: Targets,
    getWorkflow: (t: { subscriptionId: string; resourceGroup: string; name: string }) => Promise<{
      linked?: Linked;
    }>,
  ): Promise<{ linked: Map<string, Linked>; unread: string[] }>;
  serviceBusScopeFromEnv(env: Record<string, string | undefined>): PlanTargetsOptions['serviceBusScope'];
  azdEnvFile(parameters: Record<string, string>): string;
  namespaceNameProblem(
    name: string,
    availability: { nameAvailable: boolean; reason?: string; message?: string },
    ownNamespaceExists: boolean,
    controlPlaneGroup: string,
  ): string | undefined;
  MAX_ASSIGNMENTS_PER_DEPLOYMENT: number;
  deployablePlan(plan: unknown): Record<string, unknown>;
  deploymentParameters(
    plan: unknown,
    options?: { watchdogSchedule?: string } & PlanTargetsOptions,
  ): {
    parameters: Record<string, string>;
    targets: Targets;
    warnings: string[];
  };
  normaliseLocation(location: string): string;
  rbacCommands(targets: Targets, principalId?: string): string[];
  authSettingsCheck(env: Record<string, string | undefined>): {
    problems: string[];
    warnings: string[];
    principalRequired: boolean;
  };
  AZD_ENV_NAMES: Record<string, string>;
  PlanTargetsError: new (...args: never[]) => Error;
}

const HOOK = join(INFRA, 'hooks/preprovision.mjs');
let hook: PlanTargetsModule;
let files: BicepFile[];
beforeAll(async () => {
  // A computed specifier: the hook is plain JavaScript (azd runs it with node), typed here by the interface.
  hook = (await import(pathToFileURL(join(INFRA, 'hooks/plan-targets.mjs')).href)) as PlanTargetsModule;
  files = await loadInfra();
});

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';

/** A valid plan (checked against the project's schema) with overrides. */
function plan(overrides: Record<string, unknown> = {}): unknown {
  const p = {
    id: 'test-plan',
    primary: { location: 'westeurope', subscriptionId: SUB_A, resourceGroup: 'rg-weu' },
    secondary: { location: 'northeurope', subscriptionId: SUB_A, resourceGroup: 'rg-neu' },
    healthCheck: { workflow: 'dr-healthcheck', trigger: 'manual', timeout: 'PT10S' },
    policy: { probeInterval: 'PT30S', failureThreshold: 3 },
    workflows: [
      { name: 'orders', role: 'active-passive', trigger: 'webhook', primary: 'orders', secondary: 'orders' },
    ],
    notifications: { serviceBus: { namespace: 'sb-dr.servicebus.windows.net', queue: 'dr-events' } },
    ...overrides,
  };
  const parsed = PlanSchema.safeParse(p);
  expect(parsed.error?.issues ?? []).toEqual([]);
  return p;
}

describe('plan → deployment targets', () => {
  it("names the workflows to switch in both regions' groups and the health check where it lives", () => {
    const { targets, warnings } = hook.planTargets(plan());
    expect(warnings).toEqual([]);
    expect(targets.groups).toEqual([
      {
        subscriptionId: SUB_A,
        resourceGroup: 'rg-weu',
        workflows: ['orders'],
        rewriteWorkflows: [],
        sites: [],
        healthCheckWorkflows: ['dr-healthcheck'],
        linked: { connections: [], userAssignedIdentities: [], integrationAccounts: [] },
      },
      {
        subscriptionId: SUB_A,
        resourceGroup: 'rg-neu',
        workflows: ['orders'],
        rewriteWorkflows: [],
        sites: [],
        healthCheckWorkflows: [],
        linked: { connections: [], userAssignedIdentities: [], integrationAccounts: [] },
      },
    ]);
    // Small groups are one assignment deployment each.
    expect(targets.scopes).toEqual(targets.groups.map((g) => ({ ...g, first: true })));
    expect(targets.plan).toEqual({
      id: 'test-plan',
      primary: { location: 'westeurope' },
      secondary: { location: 'northeurope' },
    });
    expect(targets.healthCheck).toEqual({
      enabled: true,
      subscriptionId: SUB_A,
      resourceGroup: 'rg-weu',
      name: 'dr-healthcheck',
    });
    expect(targets.serviceBus).toEqual({
      enabled: true,
      fullyQualifiedNamespace: 'sb-dr.servicebus.windows.net',
      namespaceName: 'sb-dr',
      entityKind: 'queue',
      entityName: 'dr-events',
      subscriptionId: SUB_A,
      resourceGroup: 'rg-neu',
    });
  });

  it('follows resource ids into other groups and subscriptions, and marks groups holding Standard sites', () => {
    const { targets } = hook.planTargets(
      plan({
        workflows: [
          {
            name: 'split',
            role: 'split-recurrence',
            trigger: 'recurrence',
            schedule: { every: 'PT10M', anchor: '2024-01-01T00:00:00Z' },
            primary: {
              active: 'split-even',
              passive: `/subscriptions/${SUB_B}/resourceGroups/rg-other/providers/Microsoft.Logic/workflows/split-odd`,
            },
            secondary: { workflow: 'split', mode: 'rewrite' },
          },
          {
            name: 'invoices',
            role: 'active-passive',
            trigger: 'polling',
            stateSide: 'client',
            primary: `/subscriptions/${SUB_A}/resourceGroups/rg-weu/providers/Microsoft.Web/sites/la-weu/workflows/invoices`,
            secondary: { site: 'la-neu', workflow: 'invoices' },
          },
        ],
      }),
    );
    expect(targets.groups).toEqual([
      {
        subscriptionId: SUB_A,
        resourceGroup: 'rg-weu',
        workflows: ['split-even'],
        rewriteWorkflows: [],
        sites: ['la-weu'],
        healthCheckWorkflows: ['dr-healthcheck'],
        linked: { connections: [], userAssignedIdentities: [], integrationAccounts: [] },
      },
      {
        subscriptionId: SUB_B,
        resourceGroup: 'rg-other',
        workflows: ['split-odd'],
        rewriteWorkflows: [],
        sites: [],
        healthCheckWorkflows: [],
        linked: { connections: [], userAssignedIdentities: [], integrationAccounts: [] },
      },
      {
        subscriptionId: SUB_A,
        resourceGroup: 'rg-neu',
        // Only the rewrite-mode side is written; the twins on the primary side are only switched.
        workflows: ['split'],
        rewriteWorkflows: ['split'],
        sites: ['la-neu'],
        healthCheckWorkflows: [],
        linked: { connections: [], userAssignedIdentities: [], integrationAccounts: [] },
      },
    ]);
  });

  it('grants write only for rewrite-mode sides, in either region, and names each workflow and site once', () => {
    const read = new Map(
      [
        ['rg-weu', 'settlement'],
        ['rg-neu', 'settlement'],
        ['rg-neu', 'report'],
      ].map(([rg, name]) => [
        hook.workflowKey(SUB_A, rg!, name!),
        { connections: [], userAssignedIdentities: [], integrationAccounts: [] },
      ]),
    );
    const { targets, warnings } = hook.planTargets(
      plan({
        workflows: [
          {
            name: 'settlement',
            role: 'split-recurrence',
            trigger: 'recurrence',
            schedule: { every: 'P1D', anchor: '2024-01-01T02:00:00Z' },
            primary: { workflow: 'settlement', mode: 'rewrite' },
            secondary: { workflow: 'settlement', mode: 'rewrite' },
          },
          {
            name: 'report',
            role: 'split-recurrence',
            trigger: 'recurrence',
            schedule: { every: 'PT10M', anchor: '2024-01-01T00:00:00Z' },
            primary: { active: 'report-even', passive: 'report-odd' },
            secondary: { workflow: 'report', mode: 'rewrite' },
          },
          {
            name: 'invoices',
            role: 'active-passive',
            trigger: 'polling',
            stateSide: 'client',
            primary: { site: 'la-weu', workflow: 'invoices' },
            secondary: { site: 'la-neu', workflow: 'invoices' },
          },
          {
            name: 'credit-notes',
            role: 'active-passive',
            trigger: 'polling',
            stateSide: 'client',
            primary: { site: 'LA-WEU', workflow: 'credit-notes' },
            secondary: { site: 'la-neu', workflow: 'credit-notes' },
          },
        ],
      }),
      { linked: read },
    );
    expect(warnings).toEqual([]);
    const byGroup = Object.fromEntries(targets.scopes.map((s) => [s.resourceGroup, s]));
    expect(byGroup['rg-weu']).toMatchObject({
      workflows: ['settlement', 'report-even', 'report-odd'],
      rewriteWorkflows: ['settlement'],
      sites: ['la-weu'],
    });
    expect(byGroup['rg-neu']).toMatchObject({
      workflows: ['settlement', 'report'],
      rewriteWorkflows: ['settlement', 'report'],
      sites: ['la-neu'],
    });
  });

  it('warns that a Standard workflow in rewrite mode gets no write access (the control plane cannot rewrite it)', () => {
    const p = {
      ...(plan() as object),
      workflows: [
        {
          name: 'std-split',
          role: 'split-recurrence',
          trigger: 'recurrence',
          schedule: { every: 'PT10M', anchor: '2024-01-01T00:00:00Z' },
          primary: { active: 'a', passive: 'b' },
          secondary: {
            workflow: `/subscriptions/${SUB_A}/resourceGroups/rg-neu/providers/Microsoft.Web/sites/la-neu/workflows/split`,
            mode: 'rewrite',
          },
        },
      ],
    };
    const { targets, warnings } = hook.planTargets(p);
    expect(warnings).toEqual([
      expect.stringContaining(
        'workflows[0].secondary.workflow is a Logic Apps Standard workflow in rewrite mode',
      ),
    ]);
    expect(targets.scopes.find((s) => s.resourceGroup === 'rg-neu')).toMatchObject({
      workflows: [],
      rewriteWorkflows: [],
      sites: ['la-neu'],
    });
  });

  it("the example plan: write on nightly-settlement only, Standard access on each region's site only", () => {
    const example = JSON.parse(readFileSync(join(REPO, 'examples/plan.json'), 'utf8'));
    const { targets } = hook.planTargets(example);
    expect(targets.scopes.map((s) => [s.resourceGroup, s.rewriteWorkflows, s.sites])).toEqual([
      ['rg-orders-weu', ['nightly-settlement'], ['la-orders-weu']],
      ['rg-orders-neu', ['nightly-settlement'], ['la-orders-neu']],
    ]);
    const entries = example.workflows.length as number;
    expect(targets.scopes[0]!.workflows.length).toBeGreaterThanOrEqual(entries - 2);
  });

  it('prints, per resource group, the rbac.bicep deployment another team can run with exactly those names', () => {
    const { targets } = hook.planTargets(plan());
    expect(hook.rbacCommands(targets, 'pid-1')).toEqual([
      `az deployment group create --subscription ${SUB_A} -g rg-weu -f infra/rbac.bicep -p principalId=pid-1 ` +
        `workflowNames='["orders"]' healthCheckWorkflowNames='["dr-healthcheck"]'`,
      `az deployment group create --subscription ${SUB_A} -g rg-neu -f infra/rbac.bicep -p principalId=pid-1 ` +
        `workflowNames='["orders"]'`,
    ]);
    expect(hook.rbacCommands(targets)[0]).toContain('principalId="$DR_CONTROL_PLANE_PRINCIPAL_ID"');
  });

  it('deploys one rbac module when both regions share a resource group (names compare case-insensitively)', () => {
    const { targets } = hook.planTargets(
      plan({ secondary: { location: 'northeurope', subscriptionId: SUB_A, resourceGroup: 'RG-WEU' } }),
    );
    expect(targets.scopes).toHaveLength(1);
  });

  it('adds dependency-probe workflows to the health probe role and skips what it cannot grant, with a warning', () => {
    const { targets, warnings } = hook.planTargets(
      plan({
        healthCheck: {
          urlSetting: 'DR_HEALTH_URL',
          timeout: 'PT10S',
          dependencies: {
            require: 'all',
            probes: [
              { name: 'sql', workflow: 'probe-sql', trigger: 'manual' },
              { name: 'std', workflow: { site: 'la-weu', workflow: 'probe' }, trigger: 'manual' },
            ],
          },
        },
        notifications: { serviceBus: { connectionSetting: 'DR_BUS', topic: 'events' } },
      }),
    );
    expect(targets.scopes.find((s) => s.resourceGroup === 'rg-weu')!.healthCheckWorkflows).toEqual([
      'probe-sql',
    ]);
    // The health check itself is reached by URL: nothing to deploy, but a real group for the skipped module's scope.
    expect(targets.healthCheck).toEqual({
      enabled: false,
      subscriptionId: SUB_A,
      resourceGroup: 'rg-weu',
      name: '',
    });
    expect(targets.serviceBus.enabled).toBe(false);
    expect(warnings).toEqual([
      expect.stringContaining(
        'healthCheck.dependencies.probes[1].workflow is a Logic Apps Standard workflow',
      ),
      expect.stringContaining('connectionSetting "DR_BUS"'),
    ]);
  });

  it('sends to a topic when the plan names one', () => {
    const { targets } = hook.planTargets(
      plan({ notifications: { serviceBus: { namespace: 'a.servicebus.windows.net', topic: 't' } } }),
    );
    expect(targets.serviceBus).toMatchObject({
      enabled: true,
      entityKind: 'topic',
      entityName: 't',
      namespaceName: 'a',
    });
  });

  it('names the plan path of a reference it cannot resolve', () => {
    const bad = {
      ...(plan() as object),
      workflows: [{ name: 'x', role: 'active-passive', primary: '/subscriptions/x/oops', secondary: 'x' }],
    };
    expect(() => hook.planTargets(bad)).toThrow(hook.PlanTargetsError);
    expect(() => hook.planTargets(bad)).toThrow(
      'plan workflows[0].primary: "/subscriptions/x/oops" is not a Logic Apps workflow resource id',
    );
  });

  it('deploys a plan the Function App can load: definition paths and $schema are dropped, the rest is kept', () => {
    const withPaths = plan({
      $schema: '../schema/plan.schema.json',
      workflows: [
        {
          name: 'orders',
          role: 'active-passive',
          definition: '../infra/x.json',
          primary: 'orders',
          secondary: 'orders',
        },
      ],
    });
    const { parameters } = hook.deploymentParameters(withPaths, { watchdogSchedule: '*/30 * * * * *' });
    // The plan goes in the package (npm run package writes deployablePlan), not in a parameter.
    expect(Object.keys(parameters).sort()).toEqual(['targetsBase64', 'watchdogSchedule']);
    const deployed = hook.deployablePlan(withPaths);
    expect(deployed.$schema).toBeUndefined();
    expect(deployed.workflows).toEqual([
      { name: 'orders', role: 'active-passive', primary: 'orders', secondary: 'orders' },
    ]);
    expect(PlanSchema.safeParse(deployed).success).toBe(true);
    const targets = JSON.parse(Buffer.from(parameters.targetsBase64!, 'base64').toString('utf8'));
    expect(targets).toEqual(hook.planTargets(withPaths).targets);
    expect(parameters.watchdogSchedule).toBe('*/30 * * * * *');
  });

  it('refuses to produce parameters without the watchdog schedule (main.bicep has no default for it)', () => {
    expect(() => hook.deploymentParameters(plan())).toThrow(
      'plan policy.probeInterval: no watchdog schedule was derived from it',
    );
  });
});

describe('the API auth settings azd passes', () => {
  it('requires a principal by default exactly when an Entra app is configured', () => {
    expect(hook.authSettingsCheck({})).toEqual({ problems: [], warnings: [], principalRequired: false });
    expect(hook.authSettingsCheck({ DR_AUTH_CLIENT_ID: 'app' }).principalRequired).toBe(true);
    expect(
      hook.authSettingsCheck({ DR_AUTH_CLIENT_ID: 'app', DR_REQUIRE_PRINCIPAL: 'false' }).principalRequired,
    ).toBe(false);
  });

  it('refuses DR_REQUIRE_PRINCIPAL=true without an Entra app (nobody could call) and flags that are not flags', () => {
    expect(hook.authSettingsCheck({ DR_REQUIRE_PRINCIPAL: 'true' }).problems).toEqual([
      expect.stringContaining('DR_REQUIRE_PRINCIPAL=true without DR_AUTH_CLIENT_ID'),
    ]);
    expect(
      hook.authSettingsCheck({ DR_KEY_IS_OPERATOR: 'yes', DR_REQUIRE_PRINCIPAL: 'True' }).problems,
    ).toEqual([
      'DR_REQUIRE_PRINCIPAL is "True": set it to true or false, or leave it unset',
      'DR_KEY_IS_OPERATOR is "yes": set it to true or false, or leave it unset',
    ]);
  });

  it('warns about DR_KEY_IS_OPERATOR=true, or that it has no effect where a principal is required', () => {
    expect(hook.authSettingsCheck({ DR_KEY_IS_OPERATOR: 'true' }).warnings).toEqual([
      expect.stringContaining('DR_KEY_IS_OPERATOR=true: anyone with a function key may fail over'),
    ]);
    expect(hook.authSettingsCheck({ DR_KEY_IS_OPERATOR: 'true', DR_AUTH_CLIENT_ID: 'app' }).warnings).toEqual(
      [expect.stringContaining('DR_KEY_IS_OPERATOR=true has no effect')],
    );
  });
});

describe('main.bicep and the hook agree', () => {
  it('main.bicep reads only fields the hook produces', () => {
    const main = files.find((f) => f.path === 'infra/main.bicep')!;
    const { targets } = hook.planTargets(plan());
    // Aliases main.bicep gives to parts of `targets`.
    const shapes: Record<string, object> = { targets, target: targets.scopes[0]!, group: targets.groups[0]! };
    for (const m of main.text.matchAll(/var (\w+) = targets\.(\w+)\n/g)) {
      shapes[m[1]!] = (targets as unknown as Record<string, object>)[m[2]!]!;
    }
    expect(Object.keys(shapes).sort()).toEqual([
      'group',
      'healthCheckTarget',
      'plan',
      'serviceBus',
      'target',
      'targets',
    ]);
    const reads = [
      ...main.text.matchAll(/\b(targets|target|group|serviceBus|healthCheckTarget)\.(\w+)/g),
    ].map((m) => [m[1]!, m[2]!] as const);
    expect(reads.length).toBeGreaterThan(10);
    const unknown = reads.filter(([alias, field]) => !(field in shapes[alias]!)).map(([a, f]) => `${a}.${f}`);
    expect(unknown).toEqual([]);
  });

  it('infra/main.parameters.json feeds every required main.bicep parameter, from the azd variables the hook sets', () => {
    const main = files.find((f) => f.path === 'infra/main.bicep')!;
    const params = declarations(main).filter((d) => d.kind === 'param');
    const file = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8'));
    const set = Object.keys(file.parameters);
    expect(set.filter((p) => !params.some((d) => d.name === p))).toEqual([]);
    expect(params.filter((p) => p.value === undefined && !set.includes(p.name)).map((p) => p.name)).toEqual(
      [],
    );
    expect(file.parameters.environmentName.value).toBe('${AZURE_ENV_NAME}');
    // Every hook-derived value comes without a default: a stale or missing one must not deploy silently.
    expect(Object.keys(hook.AZD_ENV_NAMES).sort()).toEqual(['targetsBase64', 'watchdogSchedule']);
    for (const [param, env] of Object.entries(hook.AZD_ENV_NAMES)) {
      expect(file.parameters[param].value, param).toBe(`\${${env}}`);
    }
    expect(file.parameters.planFile.value).toBe('${DR_PLAN_FILE=examples/plan.json}');
  });

  it("puts every control-plane resource in the plan's secondary region, the health check in the primary", () => {
    const main = files.find((f) => f.path === 'infra/main.bicep')!;
    // No region parameter that could disagree with the plan: the region comes from the plan itself.
    expect(declarations(main).filter((d) => d.kind === 'param' && /location/i.test(d.name))).toEqual([]);
    expect(main.text).toMatch(/^var controlPlaneLocation = plan\.secondary\.location$/m);
    const locations = [...main.text.matchAll(/^\s*location: (.+)$/gm)].map((m) => m[1]!.trim());
    expect(locations.length).toBeGreaterThanOrEqual(7);
    expect(locations.filter((l) => l !== 'controlPlaneLocation')).toEqual(['plan.primary.location']);
    // The health-check module is the one in the primary.
    expect(main.text).toMatch(
      /module healthCheck '\.\/healthcheck\.bicep'[\s\S]*?location: plan\.primary\.location/,
    );
    expect(main.text).toMatch(/^output AZURE_LOCATION string = controlPlaneLocation$/m);
  });

  it('azure.yaml runs the hook before provisioning and deploys the repository as a Function App', () => {
    const yaml = readFileSync(join(REPO, 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/^infra:\n {2}provider: bicep\n {2}path: infra\n {2}module: main$/m);
    expect(yaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function$/m);
    expect(yaml.match(/run: node infra\/hooks\/preprovision\.mjs/g)).toHaveLength(2);
  });
});

describe('preprovision hook, run as azd would run it', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [HOOK, ...args], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });

  it("validates the example plan with the project's own rules and prints the deployment parameters", () => {
    const result = run(['--print', 'examples/plan.json'], { AZURE_LOCATION: 'North Europe' });
    expect(result.status, result.stderr).toBe(0);
    const params = JSON.parse(result.stdout);
    expect(Object.keys(params.parameters).sort()).toEqual(['targetsBase64', 'watchdogSchedule']);
    const deployed = JSON.parse(
      Buffer.from(params.parameters.targetsBase64.value, 'base64').toString('utf8'),
    ).plan;
    const example = JSON.parse(readFileSync(join(REPO, 'examples/plan.json'), 'utf8'));
    expect(deployed.id).toBe(example.id);
    expect(example.policy.probeInterval).toBe('PT30S');
    expect(params.parameters.watchdogSchedule.value).toBe('*/30 * * * * *');
  });

  it("refuses an azd environment whose AZURE_LOCATION is not the plan's secondary region, saying how to fix it", () => {
    const result = run(['--print', 'examples/plan.json'], { AZURE_LOCATION: 'westus' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "preprovision: AZURE_LOCATION is westus but the plan's secondary region is northeurope",
    );
    expect(result.stderr).toContain('azd env set AZURE_LOCATION northeurope');
  });

  it.each([
    ['PT10S', '*/10 * * * * *'],
    ['PT5M', '0 */5 * * * *'],
    ['PT45S', '*/30 * * * * *'],
  ])('derives the watchdog schedule from probeInterval %s (%s), as npm start does', (interval, cron) => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-plan-'));
    try {
      const file = join(dir, 'plan.json');
      const healthCheck = { workflow: 'dr-healthcheck', trigger: 'manual', timeout: 'PT5S' };
      writeFileSync(
        file,
        JSON.stringify(plan({ healthCheck, policy: { probeInterval: interval, failureThreshold: 3 } })),
      );
      const result = run(['--print', file], { AZURE_LOCATION: 'northeurope' });
      expect(result.status, result.stderr).toBe(0);
      const schedule = JSON.parse(result.stdout).parameters.watchdogSchedule.value;
      expect(schedule).toBe(cron);
      // One implementation: the hook's answer is the start script's.
      expect(schedule).toBe(watchdogScheduleFor(interval));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a plan that breaks the DR rules, naming where and why, before anything is deployed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-plan-'));
    try {
      const broken = plan({
        workflows: [
          { name: 'hook', role: 'active-active', trigger: 'webhook', primary: 'hook', secondary: 'hook' },
        ],
      });
      writeFileSync(join(dir, 'plan.json'), JSON.stringify(broken, null, 2));
      const result = run([], { DR_PLAN_FILE: join(dir, 'plan.json'), PATH: '' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('preprovision:');
      expect(result.stderr).toContain('workflows[0]');
      expect(result.stderr).toContain('webhook-single-region');
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--rbac prints the rbac.bicep deployment of each resource group, with the principal from the environment', () => {
    const result = run(['--rbac', 'examples/plan.json'], {
      AZURE_LOCATION: 'northeurope',
      DR_CONTROL_PLANE_PRINCIPAL_ID: '0000-pid',
    });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^az deployment group create --subscription \S+ -g rg-orders-weu -f infra\/rbac\.bicep -p principalId=0000-pid workflowNames='\[.*"order-webhook".*\]' rewriteWorkflowNames='\["nightly-settlement"\]' standardSiteNames='\["la-orders-weu"\]' healthCheckWorkflowNames='\["dr-healthcheck"\]'$/,
    );
  });

  it('refuses DR_REQUIRE_PRINCIPAL=true without DR_AUTH_CLIENT_ID before anything is deployed', () => {
    const result = run(['--print', 'examples/plan.json'], {
      AZURE_LOCATION: 'northeurope',
      DR_REQUIRE_PRINCIPAL: 'true',
      DR_AUTH_CLIENT_ID: '',
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('preprovision: DR_REQUIRE_PRINCIPAL=true without DR_AUTH_CLIENT_ID');
  });

  it('says which file it could not read', () => {
    const result = run(['--print', 'does/not/exist.json']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /cannot read the plan file .*does\/not\/exist\.json \(ENOENT\); set DR_PLAN_FILE/,
    );
  });
});

describe('a large plan and an existing Service Bus namespace', () => {
  /** A valid plan of `n` active-passive workflows (Request triggers declared, so nothing is read). */
  const largePlan = (n: number) =>
    plan({
      workflows: Array.from({ length: n }, (_, i) => ({
        name: `orders-intake-workflow-${String(i).padStart(4, '0')}`,
        role: 'active-passive',
        trigger: 'request',
        primary: `orders-intake-workflow-${String(i).padStart(4, '0')}`,
        secondary: `orders-intake-workflow-${String(i).padStart(4, '0')}`,
      })),
    });

  it('deploys a 1000-workflow plan: azd gets the parameters from a file, no argument near 32,767 characters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-hook-1000-'));
    try {
      const planFile = join(dir, 'plan.json');
      writeFileSync(planFile, JSON.stringify(largePlan(1000)));
      // A stand-in for the azd CLI on the PATH that records how it was called and the file it was given.
      const bin = join(dir, 'bin');
      const record = join(dir, 'azd-calls.jsonl');
      writeFileSync(
        join(dir, 'azd.cjs'),
        `const fs = require('node:fs');\nconst args = process.argv.slice(2);\nconst at = args.indexOf('--file');\nfs.appendFileSync(${JSON.stringify(record)}, JSON.stringify({ args, file: at >= 0 ? fs.readFileSync(args[at + 1], 'utf8') : null }) + '\\n');\n`,
      );
      spawnSync('mkdir', ['-p', bin]);
      writeFileSync(
        join(bin, 'azd'),
        `#!/bin/sh\nexec "${process.execPath}" "${join(dir, 'azd.cjs')}" "$@"\n`,
        {
          mode: 0o755,
        },
      );
      const result = spawnSync(process.execPath, [HOOK], {
        cwd: REPO,
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH}`,
          DR_PLAN_FILE: planFile,
          AZURE_LOCATION: 'northeurope',
          // An existing namespace: no name check through ARM, offline.
          DR_CREATE_SERVICEBUS_NAMESPACE: 'false',
          DR_SERVICEBUS_RESOURCE_GROUP: 'rg-messaging',
        },
        timeout: 120_000,
      });
      expect(result.status, result.stderr).toBe(0);
      const calls = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { args: string[]; file: string | null });
      expect(calls.map((c) => c.args.slice(0, 3))).toEqual([['env', 'set', '--file']]);
      // The plan the roles come from is the one npm run package will pack.
      expect(calls[0]!.file!.split('\n')).toContain(`DR_PLAN_FILE='${planFile}'`);
      const longest = Math.max(...calls.flatMap((c) => c.args.map((a) => a.length)));
      expect(longest).toBeLessThan(1000);
      const targetsLine = calls[0]!.file!.split('\n').find((l) => l.startsWith('DR_TARGETS_BASE64='))!;
      // What the old one-argument-per-value way would have put on one command line.
      expect(targetsLine.length).toBeGreaterThan(32_767);
      const targets = JSON.parse(
        Buffer.from(targetsLine.slice("DR_TARGETS_BASE64='".length, -1), 'base64').toString('utf8'),
      ) as Targets;
      expect(targets.groups.map((g) => g.workflows.length)).toEqual([1000, 1000]);
      // Each rbac.bicep deployment stays under ARM's 800 resources (and 800 per copy loop).
      for (const chunk of targets.scopes) {
        const assignments =
          chunk.workflows.length +
          chunk.rewriteWorkflows.length +
          chunk.sites.length +
          chunk.healthCheckWorkflows.length +
          Object.values(chunk.linked).reduce((n, l) => n + l.length, 0);
        expect(assignments).toBeLessThanOrEqual(hook.MAX_ASSIGNMENTS_PER_DEPLOYMENT);
      }
      expect(targets.scopes.filter((c) => c.first)).toHaveLength(2);
      expect(targets.scopes.flatMap((c) => c.workflows)).toHaveLength(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('grants Data Sender on an existing namespace in the group DR_SERVICEBUS_RESOURCE_GROUP names, and refuses without it', () => {
    const existing = hook.serviceBusScopeFromEnv({
      DR_CREATE_SERVICEBUS_NAMESPACE: 'false',
      DR_SERVICEBUS_RESOURCE_GROUP: 'rg-messaging',
      DR_SERVICEBUS_SUBSCRIPTION_ID: SUB_B,
    });
    const { targets } = hook.planTargets(plan(), { serviceBusScope: existing });
    expect(targets.serviceBus).toMatchObject({
      enabled: true,
      namespaceName: 'sb-dr',
      subscriptionId: SUB_B,
      resourceGroup: 'rg-messaging',
    });
    const missing = hook.serviceBusScopeFromEnv({ DR_CREATE_SERVICEBUS_NAMESPACE: 'false' });
    expect(() => hook.planTargets(plan(), { serviceBusScope: missing })).toThrow(
      /DR_CREATE_SERVICEBUS_NAMESPACE=false: set DR_SERVICEBUS_RESOURCE_GROUP to the resource group of the existing namespace sb-dr/,
    );
    expect(hook.serviceBusScopeFromEnv({})).toEqual({ create: true });
  });
});

describe('a Service Bus namespace main.bicep creates (DR_CREATE_SERVICEBUS_NAMESPACE=true)', () => {
  it('stops at preprovision when the name is taken elsewhere, saying what to do; passes when free or already ours', () => {
    expect(hook.namespaceNameProblem('sb-dr', { nameAvailable: true }, false, 'rg-dr')).toBeUndefined();
    const taken = {
      nameAvailable: false,
      reason: 'NameInUse',
      message: 'The specified name is not available.',
    };
    expect(hook.namespaceNameProblem('sb-dr', taken, true, 'rg-dr')).toBeUndefined();
    expect(hook.namespaceNameProblem('sb-dr', taken, false, 'rg-dr')).toBe(
      `the plan's Service Bus namespace "sb-dr" is taken by a namespace outside rg-dr (The specified name is not available.): ` +
        'choose another name in notifications.serviceBus.namespace, or, if that namespace is yours, set ' +
        'DR_CREATE_SERVICEBUS_NAMESPACE=false and DR_SERVICEBUS_RESOURCE_GROUP to its resource group',
    );
    expect(
      hook.namespaceNameProblem('sb', { nameAvailable: false, reason: 'InvalidName' }, false, 'rg-dr'),
    ).toBe(`the plan's Service Bus namespace "sb" cannot be created: InvalidName`);
  });
});

describe('azd down', () => {
  it('is refused by the predown hook, which prints what removes only the deployment’s own resources', () => {
    const yaml = readFileSync(join(REPO, 'azure.yaml'), 'utf8');
    expect(yaml.match(/run: node infra\/hooks\/predown\.mjs/g)).toHaveLength(2);
    const { targets } = hook.planTargets(plan());
    const result = spawnSync(process.execPath, [join(INFRA, 'hooks/predown.mjs')], {
      cwd: REPO,
      encoding: 'utf8',
      env: {
        ...process.env,
        DR_TARGETS_BASE64: Buffer.from(JSON.stringify(targets)).toString('base64'),
        DR_CONTROL_PLANE_PRINCIPAL_ID: 'p-1',
        AZURE_RESOURCE_GROUP: 'rg-dr',
        AZURE_SUBSCRIPTION_ID: SUB_A,
        AZURE_ENV_NAME: 'dr',
      },
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('refusing `azd down`');
    const commands = result.stdout.split('\n').filter((l) => l.startsWith('az '));
    // Only the control plane's own group is deleted whole; in the workload groups, only what was added.
    expect(commands.filter((c) => c.startsWith('az group delete'))).toEqual([
      `az group delete --subscription ${SUB_A} -n rg-dr --yes`,
    ]);
    expect(commands).toContain(
      `az resource delete --ids /subscriptions/${SUB_A}/resourceGroups/rg-weu/providers/Microsoft.Logic/workflows/dr-healthcheck`,
    );
    for (const rg of ['rg-weu', 'rg-neu']) {
      expect(
        commands.some(
          (c) => c.includes(`resourceGroups/${rg} --include-descendants`) && c.includes("principalId=='p-1'"),
        ),
      ).toBe(true);
      expect(
        commands.some((c) => c.startsWith('az role definition list') && c.includes(`resourceGroups/${rg} `)),
      ).toBe(true);
    }
  });
});
