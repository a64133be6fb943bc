/**
 * A simulated two-region estate built from a plan: every workflow the plan names, in its region, in its
 * normal-operation state, plus the health-check Logic App. `npm start`, `dr` demos and the tests use it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { entrySchedules, entryTargets, normalState, type WorkflowTarget } from '../../src/core/planner';
import type { Plan, Router, WorkflowEntry } from '../../src/plan/schema';
import type { SimRouterRef, SimSeed } from './arm';
import type { SeedRouters } from './arm/routers';
import type { LogicAppsControl } from '../../src/adapters/logicapps/port';
import type { RouterControl } from '../../src/adapters/routers/port';
import { endpointsByRegion, entryRouter } from '../../src/core/routers';
import { callbackOf } from '../../src/estate/routers';

type Definition = Record<string, unknown>;

/** The health-check definition shared with infra/healthcheck.bicep: one file, two uses. */
export const HEALTHCHECK_DEFINITION_FILE = join(__dirname, '../../infra/workflows/healthcheck.json');

const SCHEMA =
  'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#';
const connectionRef = (api: string) => `@parameters('$connections')['${api}']['connectionId']`;

/** A realistic definition for an entry that only declares its trigger kind. */
function definitionForKind(entry: WorkflowEntry): Definition {
  const base = {
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    parameters: { $connections: { type: 'Object', defaultValue: {} } },
    outputs: {},
  };
  const compose = {
    Process: { type: 'Compose', runAfter: {}, inputs: { workflow: entry.name, at: '@utcNow()' } },
  };
  switch (entry.trigger) {
    case 'request':
      return {
        ...base,
        triggers: { manual: { type: 'Request', kind: 'Http', inputs: { schema: {} } } },
        actions: {
          ...compose,
          Response: {
            type: 'Response',
            kind: 'Http',
            runAfter: { Process: ['Succeeded'] },
            inputs: { statusCode: 202 },
          },
        },
      };
    case 'webhook':
      return {
        ...base,
        triggers: {
          webhook: {
            type: 'HttpWebhook',
            inputs: {
              subscribe: {
                method: 'POST',
                uri: 'https://events.contoso.example/subscribe',
                body: { callbackUrl: '@listCallbackUrl()' },
              },
              unsubscribe: { method: 'POST', uri: 'https://events.contoso.example/unsubscribe' },
            },
          },
        },
        actions: compose,
      };
    case 'polling': {
      // A managed-connector trigger polling every few minutes: Service Bus (server-side state) or Office 365.
      const poll = (name: string, api: string, minutes: number, path: string, queries: object) => ({
        ...base,
        triggers: {
          [name]: {
            type: 'ApiConnection',
            recurrence: { frequency: 'Minute', interval: minutes },
            inputs: { host: { connection: { name: connectionRef(api) } }, method: 'get', path, queries },
          },
        },
        actions: compose,
      });
      return entry.stateSide === 'server'
        ? poll(
            'When_a_message_is_received',
            'servicebus',
            1,
            `/@{encodeURIComponent(encodeURIComponent('${entry.name}'))}/messages/head/peek`,
            { queueType: 'Main', ...(entry.sessions ? { sessionId: 'Next Available' } : {}) },
          )
        : poll('When_a_new_email_arrives', 'office365', 3, '/v2/Mail/OnNewEmail', { folderPath: 'Inbox' });
    }
    default:
      return {
        ...base,
        triggers: { Recurrence: { type: 'Recurrence', recurrence: { frequency: 'Hour', interval: 1 } } },
        actions: compose,
      };
  }
}

/** The recurrence a split target runs in normal operation: its slot parity from the twin scheme. */
function splitRecurrence(entry: WorkflowEntry, target: WorkflowTarget): unknown {
  const s = entrySchedules(entry);
  const side = entry[target.region];
  if (!s || typeof side !== 'object') return undefined;
  if ('mode' in side) return target.region === 'primary' ? s.primaryActive : s.secondaryActive;
  if (!('active' in side)) return undefined;
  const active = JSON.stringify(side.active) === JSON.stringify(target.ref);
  if (target.region === 'primary') return active ? s.primaryActive : s.primaryPassive;
  return active ? s.secondaryActive : s.secondaryPassive;
}

function withRecurrence(definition: Definition, recurrence: unknown): Definition {
  const copy = structuredClone(definition) as {
    triggers?: Record<string, { type?: string; recurrence?: unknown }>;
  };
  for (const trigger of Object.values(copy.triggers ?? {})) {
    if (/^(Recurrence|SlidingWindow)$/i.test(trigger.type ?? '')) trigger.recurrence = recurrence;
  }
  return copy;
}

/** `$connections` values in the workflow's own region, for every connection the definition references. */
function connectionsFor(
  definition: Definition,
  subscriptionId: string,
  resourceGroup: string,
  location: string,
): Record<string, unknown> | undefined {
  const apis = [...JSON.stringify(definition).matchAll(/\$connections'\)\['([^']+)'\]/g)].map((m) => m[1]!);
  if (apis.length === 0) return undefined;
  const value = Object.fromEntries(
    [...new Set(apis)].map((api) => [
      api,
      {
        connectionId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/connections/${api}`,
        connectionName: api,
        id: `/subscriptions/${subscriptionId}/providers/Microsoft.Web/locations/${location}/managedApis/${api}`,
      },
    ]),
  );
  return { $connections: { value } };
}

/** Definitions from each entry's `definition` file (relative to the plan file), where given. */
export function loadEntryDefinitions(plan: Plan, planFile: string): Map<string, Definition> {
  const base = dirname(resolve(planFile));
  const out = new Map<string, Definition>();
  for (const entry of plan.workflows) {
    if (entry.definition)
      out.set(entry.name, JSON.parse(readFileSync(resolve(base, entry.definition), 'utf8')) as Definition);
  }
  return out;
}

export function sampleEstateSeed(
  plan: Plan,
  definitions: ReadonlyMap<string, Definition> = new Map(),
  healthcheck?: Definition,
): SimSeed {
  type Group = {
    name: string;
    location: string;
    workflows: NonNullable<SimSeed['subscriptions'][number]['resourceGroups']>[number]['workflows'];
    sites: Map<
      string,
      { name: string; workflows: { name: string; definition: Definition; state: 'Enabled' | 'Disabled' }[] }
    >;
    routers: SeedRouters;
  };
  const subs = new Map<string, Map<string, Group>>();
  const group = (subscriptionId: string, resourceGroup: string, location: string): Group => {
    const rgs = subs.get(subscriptionId) ?? new Map<string, Group>();
    subs.set(subscriptionId, rgs);
    const key = resourceGroup.toLowerCase();
    let g = rgs.get(key);
    if (!g) {
      g = { name: resourceGroup, location, workflows: [], sites: new Map(), routers: {} };
      rgs.set(key, g);
    }
    return g;
  };

  const hc = plan.healthCheck;
  if (hc.workflow !== undefined && typeof hc.workflow === 'string') {
    const definition =
      healthcheck ?? (JSON.parse(readFileSync(HEALTHCHECK_DEFINITION_FILE, 'utf8')) as Definition);
    group(plan.primary.subscriptionId, plan.primary.resourceGroup, plan.primary.location).workflows!.push({
      name: hc.workflow.split('/').pop()!,
      state: 'Enabled',
      definition,
      parameters: { region: { value: plan.primary.location } },
    });
  }

  for (const entry of plan.workflows) {
    const template = definitions.get(entry.name) ?? definitionForKind(entry);
    for (const target of entryTargets(plan, entry)) {
      const region = plan[target.region];
      const recurrence = splitRecurrence(entry, target);
      const definition = recurrence ? withRecurrence(template, recurrence) : template;
      const state = normalState(entry, target);
      const ref = target.ref;
      if (typeof ref !== 'string') {
        const g = group(region.subscriptionId, region.resourceGroup, region.location);
        const site = g.sites.get(ref.site) ?? { name: ref.site, workflows: [] };
        site.workflows.push({ name: ref.workflow, definition, state });
        g.sites.set(ref.site, site);
        continue;
      }
      const m =
        /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)$/i.exec(
          ref,
        );
      const [sub, rg, name] = m ? [m[1]!, m[2]!, m[3]!] : [region.subscriptionId, region.resourceGroup, ref];
      const parameters = connectionsFor(definition, sub, rg, region.location);
      group(sub, rg, region.location).workflows!.push({
        name,
        state,
        definition,
        ...(parameters ? { parameters } : {}),
      });
    }
  }

  for (const entry of plan.workflows) if (entry.router) seedRouter(plan, entry.router, group);

  return {
    subscriptions: [...subs.entries()].map(([id, rgs]) => ({
      id,
      resourceGroups: [...rgs.values()].map((g) => ({
        name: g.name,
        location: g.location,
        workflows: g.workflows,
        sites: [...g.sites.values()],
        ...g.routers,
      })),
    })),
  };
}

/** The item of `list` named `name`, added by `make` when there is none (entries may share a service). */
function findOrAdd<T extends { name: string }>(list: T[], name: string, make: () => T): T {
  const found = list.find((x) => x.name === name);
  if (found) return found;
  const made = make();
  list.push(made);
  return made;
}

/**
 * An entry's router as its deployment leaves it: an APIM service in the secondary region (the one that survives
 * the loss of the primary) whose backend or API is not yet pointed anywhere (pointRoutersAtPrimary does that,
 * as the deployment would), a Front Door origin group and a Traffic Manager profile (global) sending calls to
 * the primary. Entries sharing a service or profile share it here too.
 */
function seedRouter(
  plan: Plan,
  router: Router,
  group: (subscriptionId: string, resourceGroup: string, location: string) => { routers: SeedRouters },
): void {
  const names = endpointsByRegion(router, plan);
  const host = (region: 'primary' | 'secondary') => `${plan[region].location}.logic.sim`;
  // Routers are seeded in the secondary's location (APIM runs there; Front Door and Traffic Manager are global).
  const routersOf = (scope: { subscriptionId: string; resourceGroup: string }) =>
    group(scope.subscriptionId, scope.resourceGroup, plan.secondary.location).routers;
  if ('apiManagement' in router) {
    const a = router.apiManagement;
    const service = findOrAdd((routersOf(a).apiManagement ??= []), a.service, () => ({
      name: a.service,
      backends: [],
      apis: [],
      namedValues: [],
    }));
    const unset = 'https://not-yet-pointed.invalid/';
    // One secret named value per region, as the deployment creates them (an API's policy refers to both).
    const sigNames = (typeof a.signature === 'object' ? a.signature.namedValues : undefined) ?? {};
    for (const name of Object.values(sigNames))
      findOrAdd(service.namedValues!, name, () => ({ name, value: 'unset', secret: true }));
    if (a.backend !== undefined) service.backends!.push({ name: a.backend, url: unset });
    else
      service.apis!.push({
        name: a.api!,
        path: a.api!,
        serviceUrl: unset,
        ...(Object.keys(sigNames).length ? { sigPolicy: sigNames } : {}),
      });
    return;
  }
  if (!names) return; // The plan rules refuse it; nothing to seed.
  if ('frontDoor' in router) {
    const f = router.frontDoor;
    const profile = findOrAdd((routersOf(f).frontDoor ??= []), f.profile, () => ({
      name: f.profile,
      originGroups: [],
    }));
    profile.originGroups!.push({
      name: f.originGroup,
      origins: [
        { name: names.primary, hostName: host('primary'), enabledState: 'Enabled', priority: 1 },
        { name: names.secondary, hostName: host('secondary'), enabledState: 'Disabled', priority: 2 },
      ],
    });
    return;
  }
  const t = router.trafficManager;
  (routersOf(t).trafficManager ??= []).push({
    name: t.profile,
    routingMethod: 'Priority',
    endpoints: [
      {
        name: names.primary,
        type: t.endpointType,
        target: host('primary'),
        priority: 1,
        endpointLocation: plan.primary.location,
      },
      {
        name: names.secondary,
        type: t.endpointType,
        target: host('secondary'),
        priority: 2,
        endpointStatus: 'Disabled',
        endpointLocation: plan.secondary.location,
      },
    ],
  });
}

/**
 * What the deployment does once: point each entry's router at the primary (APIM gets the primary workflow's
 * callback URL, read through listCallbackUrl), through the control plane's own adapters.
 */
export async function pointRoutersAtPrimary(
  plan: Plan,
  control: LogicAppsControl,
  routers: RouterControl,
): Promise<void> {
  for (const entry of plan.workflows) {
    const target = entryRouter(plan, entry);
    if (!target || !entry.router) continue;
    const callback =
      'apiManagement' in entry.router ? await callbackOf(plan, control, entry, 'primary') : undefined;
    await routers.switchTo(entry.router, target, 'primary', callback);
  }
}

/** Where the simulated router of an entry sends a call now (its data plane), by the sim's reference. */
export function simRouterRef(router: Router): SimRouterRef {
  const [kind, scope, name, part] =
    'apiManagement' in router
      ? ([
          'apiManagement',
          router.apiManagement,
          router.apiManagement.service,
          router.apiManagement.backend ?? router.apiManagement.api!,
        ] as const)
      : 'frontDoor' in router
        ? (['frontDoor', router.frontDoor, router.frontDoor.profile, router.frontDoor.originGroup] as const)
        : ([
            'trafficManager',
            router.trafficManager,
            router.trafficManager.profile,
            router.trafficManager.profile,
          ] as const);
  return { kind, subscriptionId: scope.subscriptionId, resourceGroup: scope.resourceGroup, name, part };
}
