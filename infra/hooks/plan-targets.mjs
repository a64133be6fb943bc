// Derives, from a failover plan, where the control plane must act, resource by resource: per resource group
// the Consumption workflows it enables and disables, which of them it rewrites (rewrite-mode split sides),
// the Logic Apps Standard sites whose app settings it switches, and the health-check workflows whose callback
// URL it reads; and the Service Bus entity it sends to. main.bicep receives the result as one base64
// parameter and rbac.bicep grants each role on exactly those resources, so the template stays free of
// resource-id parsing and the rules live here, where a test can reach them.

/** A plan that cannot be turned into deployment targets; the message names the plan path that is wrong. */
export class PlanTargetsError extends Error {
  constructor(path, detail) {
    super(`plan ${path}: ${detail}`);
    this.name = 'PlanTargetsError';
    this.path = path;
  }
}

const WORKFLOW_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)$/i;
const STANDARD_WORKFLOW_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\/([^/]+)\/workflows\/([^/]+)$/i;

/** Resolves one workflow reference (name, resource id or { site, workflow }) against a region. */
export function resolveWorkflowRef(ref, region, path) {
  if (typeof ref === 'string') {
    if (ref.startsWith('/')) {
      const consumption = WORKFLOW_ID.exec(ref);
      if (consumption) {
        const [, subscriptionId, resourceGroup, name] = consumption;
        return { subscriptionId, resourceGroup, name, standard: false };
      }
      const standard = STANDARD_WORKFLOW_ID.exec(ref);
      if (standard) {
        const [, subscriptionId, resourceGroup, site, name] = standard;
        return { subscriptionId, resourceGroup, site, name, standard: true };
      }
      throw new PlanTargetsError(path, `"${ref}" is not a Logic Apps workflow resource id`);
    }
    return {
      subscriptionId: region.subscriptionId,
      resourceGroup: region.resourceGroup,
      name: ref,
      standard: false,
    };
  }
  if (ref && typeof ref === 'object' && typeof ref.site === 'string' && typeof ref.workflow === 'string') {
    return {
      subscriptionId: region.subscriptionId,
      resourceGroup: region.resourceGroup,
      site: ref.site,
      name: ref.workflow,
      standard: true,
    };
  }
  throw new PlanTargetsError(path, 'expected a workflow name, a resource id or { site, workflow }');
}

/**
 * The workflow references of one side of an entry: a plain ref, a twin pair, or a rewrite target, each with
 * whether the control plane rewrites its definition (only a rewrite-mode split side: setRecurrence).
 */
function sideRefs(side, path) {
  if (side && typeof side === 'object' && 'active' in side && 'passive' in side) {
    return [
      [side.active, `${path}.active`, false],
      [side.passive, `${path}.passive`, false],
    ];
  }
  if (side && typeof side === 'object' && 'workflow' in side && 'mode' in side) {
    return [[side.workflow, `${path}.workflow`, side.mode === 'rewrite']];
  }
  return [[side, path, false]];
}

const addOnce = (list, name) => {
  if (!list.some((n) => n.toLowerCase() === name.toLowerCase())) list.push(name);
};

function requireRegion(plan, side) {
  const region = plan?.[side];
  if (!region || typeof region.subscriptionId !== 'string' || typeof region.resourceGroup !== 'string') {
    throw new PlanTargetsError(side, 'needs subscriptionId and resourceGroup');
  }
  return region;
}

const scopeKey = (subscriptionId, resourceGroup) => `${subscriptionId}/${resourceGroup}`.toLowerCase();

/** The key `linked` (see planTargets) is looked up by: one Consumption workflow. */
export const workflowKey = (subscriptionId, resourceGroup, name) =>
  `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();

const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/i;
const LINKED_TYPES = {
  connections: 'microsoft.web/connections',
  userAssignedIdentities: 'microsoft.managedidentity/userassignedidentities',
  integrationAccounts: 'microsoft.logic/integrationaccounts',
};

/**
 * Most role assignments one rbac.bicep deployment makes: ARM allows 800 resources per deployment (and per copy
 * loop), and the roles come on top; a resource group with more is split over several deployments.
 */
export const MAX_ASSIGNMENTS_PER_DEPLOYMENT = 400;

const emptyLinked = () => ({ connections: [], userAssignedIdentities: [], integrationAccounts: [] });

/**
 * One resource group's lists cut into deployments of at most `max` role assignments. A rewritten workflow
 * takes two (switch and rewrite) and stays in one chunk; only the first chunk may assign on the group itself.
 */
export function chunkScope(scope, max = MAX_ASSIGNMENTS_PER_DEPLOYMENT) {
  const items = [
    ...scope.workflows.map((name) => {
      const rewrite = scope.rewriteWorkflows.some((r) => r.toLowerCase() === name.toLowerCase());
      return {
        weight: rewrite ? 2 : 1,
        add: (c) => (c.workflows.push(name), rewrite && c.rewriteWorkflows.push(name)),
      };
    }),
    ...scope.sites.map((name) => ({ weight: 1, add: (c) => c.sites.push(name) })),
    ...scope.healthCheckWorkflows.map((name) => ({
      weight: 1,
      add: (c) => c.healthCheckWorkflows.push(name),
    })),
    ...Object.keys(LINKED_TYPES).flatMap((kind) =>
      scope.linked[kind].map((name) => ({ weight: 1, add: (c) => c.linked[kind].push(name) })),
    ),
  ];
  const fresh = (first) => ({
    subscriptionId: scope.subscriptionId,
    resourceGroup: scope.resourceGroup,
    first,
    workflows: [],
    rewriteWorkflows: [],
    sites: [],
    healthCheckWorkflows: [],
    linked: emptyLinked(),
  });
  const chunks = [fresh(true)];
  let used = 0;
  for (const item of items) {
    if (used + item.weight > max) {
      chunks.push(fresh(false));
      used = 0;
    }
    item.add(chunks.at(-1));
    used += item.weight;
  }
  return chunks;
}

/**
 * @returns {{ targets: object, warnings: string[] }} targets has `scopes`, `healthCheck` and `serviceBus`,
 * the exact fields main.bicep reads. Each scope is one resource group: `workflows` (Consumption workflows to
 * enable and disable), `rewriteWorkflows` (those whose definition is rewritten), `sites` (Standard sites) and
 * `healthCheckWorkflows`, names only, in plan order, each once.
 */
export function planTargets(plan, { linked, serviceBusScope } = {}) {
  const warnings = [];
  /** Rewrite-mode workflows whose linked resources were not read: nothing is granted on them. */
  const unknownLinks = [];
  const primary = requireRegion(plan, 'primary');
  const secondary = requireRegion(plan, 'secondary');
  const scopes = new Map();
  const scopeFor = (ref) => {
    const key = scopeKey(ref.subscriptionId, ref.resourceGroup);
    let scope = scopes.get(key);
    if (!scope) {
      scope = {
        subscriptionId: ref.subscriptionId,
        resourceGroup: ref.resourceGroup,
        workflows: [],
        rewriteWorkflows: [],
        sites: [],
        healthCheckWorkflows: [],
        linked: emptyLinked(),
      };
      scopes.set(key, scope);
    }
    return scope;
  };

  // A rewrite PUTs the workflow back whole: ARM also checks join/assign on what it links to (its connections,
  // identities, integration account), granted where each of those lives.
  const addLinked = (resolved, path) => {
    const found = linked?.get(workflowKey(resolved.subscriptionId, resolved.resourceGroup, resolved.name));
    if (!found) {
      unknownLinks.push(path);
      return;
    }
    for (const kind of Object.keys(LINKED_TYPES)) {
      for (const id of found[kind] ?? []) {
        const m = RESOURCE_ID.exec(id);
        if (!m || m[3].toLowerCase() !== LINKED_TYPES[kind]) {
          throw new PlanTargetsError(
            path,
            `links to "${id}", which is not a ${LINKED_TYPES[kind]} resource id`,
          );
        }
        addOnce(scopeFor({ subscriptionId: m[1], resourceGroup: m[2] }).linked[kind], m[4]);
      }
    }
  };

  const workflows = Array.isArray(plan.workflows) ? plan.workflows : [];
  workflows.forEach((entry, i) => {
    for (const [side, region] of [
      ['primary', primary],
      ['secondary', secondary],
    ]) {
      for (const [ref, path, rewrite] of sideRefs(entry?.[side], `workflows[${i}].${side}`)) {
        const resolved = resolveWorkflowRef(ref, region, path);
        const scope = scopeFor(resolved);
        if (resolved.standard) {
          addOnce(scope.sites, resolved.site);
          if (rewrite)
            warnings.push(
              `${path} is a Logic Apps Standard workflow in rewrite mode: the control plane rewrites ` +
                'Consumption workflows only (use the twin scheme), so no write access is granted for it',
            );
          continue;
        }
        addOnce(scope.workflows, resolved.name);
        if (rewrite) {
          addOnce(scope.rewriteWorkflows, resolved.name);
          addLinked(resolved, path);
        }
      }
    }
  });

  const healthCheck = plan.healthCheck ?? {};
  const probes = [[healthCheck, 'healthCheck']];
  const dependencyProbes = healthCheck.dependencies?.probes ?? [];
  dependencyProbes.forEach((probe, i) => probes.push([probe, `healthCheck.dependencies.probes[${i}]`]));
  let healthCheckWorkflow;
  for (const [probe, path] of probes) {
    if (probe.workflow === undefined) continue;
    const resolved = resolveWorkflowRef(probe.workflow, primary, `${path}.workflow`);
    if (resolved.standard) {
      warnings.push(
        `${path}.workflow is a Logic Apps Standard workflow: rbac.bicep grants listCallbackUrl on Consumption ` +
          'workflows only, so give its URL through urlSetting (a Key Vault reference) instead',
      );
      continue;
    }
    addOnce(scopeFor(resolved).healthCheckWorkflows, resolved.name);
    if (path === 'healthCheck') healthCheckWorkflow = resolved;
  }

  const bus = plan.notifications?.serviceBus;
  let serviceBus = {
    enabled: false,
    fullyQualifiedNamespace: '',
    namespaceName: '',
    entityKind: 'queue',
    entityName: '',
    subscriptionId: secondary.subscriptionId,
    resourceGroup: secondary.resourceGroup,
  };
  if (bus && typeof bus.namespace === 'string') {
    const entityKind = bus.topic !== undefined ? 'topic' : 'queue';
    const entityName = bus.topic ?? bus.queue;
    if (typeof entityName !== 'string' || entityName === '') {
      throw new PlanTargetsError(
        'notifications.serviceBus',
        'names a namespace but neither a queue nor a topic',
      );
    }
    if (bus.topic !== undefined && bus.queue !== undefined) {
      throw new PlanTargetsError('notifications.serviceBus', 'names both a queue and a topic: choose one');
    }
    serviceBus = {
      enabled: true,
      fullyQualifiedNamespace: bus.namespace,
      namespaceName: bus.namespace.split('.')[0],
      entityKind,
      entityName,
      // Where an existing namespace lives (DR_CREATE_SERVICEBUS_NAMESPACE=false): Data Sender is granted there.
      subscriptionId: serviceBusScope?.subscriptionId ?? secondary.subscriptionId,
      resourceGroup: serviceBusScope?.resourceGroup ?? secondary.resourceGroup,
    };
    if (serviceBusScope?.create === false && !serviceBusScope.resourceGroup) {
      throw new PlanTargetsError(
        'notifications.serviceBus',
        `DR_CREATE_SERVICEBUS_NAMESPACE=false: set DR_SERVICEBUS_RESOURCE_GROUP to the resource group of the ` +
          `existing namespace ${serviceBus.namespaceName} (and DR_SERVICEBUS_SUBSCRIPTION_ID when it is not ` +
          `${secondary.subscriptionId}), so that the control plane is granted Azure Service Bus Data Sender on ` +
          `its ${entityKind} ${entityName}`,
      );
    }
  } else if (bus && typeof bus.connectionSetting === 'string') {
    warnings.push(
      `notifications.serviceBus uses connectionSetting "${bus.connectionSetting}": no namespace or role is ` +
        'deployed for it; put the connection in that app setting as a Key Vault reference',
    );
  }

  if (unknownLinks.length) {
    warnings.push(
      `the API connections, identities and integration account of ${unknownLinks.join(', ')} were not read ` +
        '(a rewrite PUTs them back, and ARM refuses it without join/assign on each): nothing is granted on ' +
        'them; `dr ready` lists what they link to and what is missing',
    );
  }
  const groups = [...scopes.values()];
  return {
    unknownLinks,
    targets: {
      // The plan itself goes in the app package (npm run package); the deployment needs only this of it.
      plan: {
        id: plan.id,
        primary: { location: primary.location },
        secondary: { location: secondary.location },
      },
      // Per resource group, everything: main.bicep defines the custom roles from these, once per group.
      groups,
      // The same, cut into deployments ARM accepts: main.bicep assigns the roles from these.
      scopes: groups.flatMap((g) => chunkScope(g)),
      // Disabled targets still carry a real resource group: ARM evaluates a skipped module's scope.
      healthCheck: healthCheckWorkflow
        ? {
            enabled: true,
            subscriptionId: healthCheckWorkflow.subscriptionId,
            resourceGroup: healthCheckWorkflow.resourceGroup,
            name: healthCheckWorkflow.name,
          }
        : {
            enabled: false,
            subscriptionId: primary.subscriptionId,
            resourceGroup: primary.resourceGroup,
            name: '',
          },
      serviceBus,
    },
    warnings,
  };
}

const FLAG = /^(true|false)?$/;

/**
 * The HTTP API's auth settings as azd passes them (DR_AUTH_CLIENT_ID, DR_REQUIRE_PRINCIPAL,
 * DR_KEY_IS_OPERATOR): `problems` stop the deployment (a setting that would lock everyone out, or that
 * main.bicep would refuse less clearly), `warnings` are printed.
 */
export function authSettingsCheck(env) {
  const problems = [];
  const warnings = [];
  const clientId = (env.DR_AUTH_CLIENT_ID ?? '').trim();
  const require = (env.DR_REQUIRE_PRINCIPAL ?? '').trim();
  const keyIsOperator = (env.DR_KEY_IS_OPERATOR ?? '').trim();
  for (const [name, value] of [
    ['DR_REQUIRE_PRINCIPAL', require],
    ['DR_KEY_IS_OPERATOR', keyIsOperator],
  ]) {
    if (!FLAG.test(value)) problems.push(`${name} is "${value}": set it to true or false, or leave it unset`);
  }
  if (require === 'true' && clientId === '') {
    problems.push(
      'DR_REQUIRE_PRINCIPAL=true without DR_AUTH_CLIENT_ID: with no App Service Authentication nobody can sign ' +
        'in, so every call would be refused. Set DR_AUTH_CLIENT_ID to the app registration (docs/security.md), ' +
        'or unset DR_REQUIRE_PRINCIPAL',
    );
  }
  const principalRequired = require === '' ? clientId !== '' : require === 'true';
  if (keyIsOperator === 'true') {
    warnings.push(
      principalRequired
        ? 'DR_KEY_IS_OPERATOR=true has no effect: a principal is required (DR_REQUIRE_PRINCIPAL), so a function key alone is refused'
        : 'DR_KEY_IS_OPERATOR=true: anyone with a function key may fail over, fail back, pause and resume, with ' +
            'no sign-in and no app role (docs/security.md)',
    );
  }
  return { problems, warnings, principalRequired };
}

/**
 * For a workflow resource group whose owners deploy the roles themselves (DR_ASSIGN_WORKFLOW_ROLES=false):
 * per resource group, the `az deployment group create` of infra/rbac.bicep that grants exactly what this plan
 * needs there, on the named workflows and sites.
 */
export function rbacCommands(targets, principalId = '"$DR_CONTROL_PLANE_PRINCIPAL_ID"') {
  const list = (names) => `'${JSON.stringify(names)}'`;
  const anyLinked = (l) => Object.values(l).some((names) => names.length > 0);
  return targets.groups.map((scope) =>
    [
      'az deployment group create',
      `--subscription ${scope.subscriptionId}`,
      `-g ${scope.resourceGroup}`,
      '-f infra/rbac.bicep',
      `-p principalId=${principalId}`,
      ...(scope.workflows.length ? [`workflowNames=${list(scope.workflows)}`] : []),
      ...(scope.rewriteWorkflows.length ? [`rewriteWorkflowNames=${list(scope.rewriteWorkflows)}`] : []),
      ...(scope.sites.length ? [`standardSiteNames=${list(scope.sites)}`] : []),
      ...(scope.healthCheckWorkflows.length
        ? [`healthCheckWorkflowNames=${list(scope.healthCheckWorkflows)}`]
        : []),
      ...(anyLinked(scope.linked) ? [`linkedResources='${JSON.stringify(scope.linked)}'`] : []),
    ].join(' '),
  );
}

/**
 * Where the plan's existing Service Bus namespace lives, from the azd environment: only with
 * DR_CREATE_SERVICEBUS_NAMESPACE=false (otherwise main.bicep creates it in the control plane's group).
 */
export function serviceBusScopeFromEnv(env) {
  if ((env.DR_CREATE_SERVICEBUS_NAMESPACE ?? '').trim().toLowerCase() !== 'false') return { create: true };
  const resourceGroup = (env.DR_SERVICEBUS_RESOURCE_GROUP ?? '').trim();
  const subscriptionId = (env.DR_SERVICEBUS_SUBSCRIPTION_ID ?? '').trim();
  return {
    create: false,
    ...(resourceGroup ? { resourceGroup } : {}),
    ...(subscriptionId ? { subscriptionId } : {}),
  };
}

/**
 * Reads what each rewrite-mode workflow links to, through `getWorkflow` (the control plane's ARM adapter:
 * WorkflowInfo.linked). `linked` is keyed by workflowKey; `unread` says which could not be read and why
 * (planTargets then grants nothing on their links, and warns).
 */
export async function readLinkedResources(targets, getWorkflow) {
  const linked = new Map();
  const unread = [];
  for (const group of targets.groups) {
    for (const name of group.rewriteWorkflows) {
      const locator = { subscriptionId: group.subscriptionId, resourceGroup: group.resourceGroup, name };
      try {
        const info = await getWorkflow(locator);
        linked.set(
          workflowKey(group.subscriptionId, group.resourceGroup, name),
          info.linked ?? emptyLinked(),
        );
      } catch (err) {
        unread.push(
          `cannot read ${group.subscriptionId}/${group.resourceGroup}/${name} through ARM (${err instanceof Error ? err.message : err})`,
        );
      }
    }
  }
  return { linked, unread };
}

/** Normalises a region name the way ARM compares them: "West Europe" and "westeurope" are the same. */
export const normaliseLocation = (location) => String(location).replace(/\s+/g, '').toLowerCase();

/**
 * The plan as the deployed app reads it (the file DR_PLAN_PATH names in the package). `definition` and `$schema` are paths relative
 * to the plan file on the deployer's machine; they do not exist in the Function App, and the live triggers
 * are classified through ARM there anyway.
 */
export function deployablePlan(plan) {
  const { $schema: _schema, ...rest } = plan;
  return {
    ...rest,
    workflows: (plan.workflows ?? []).map(({ definition: _definition, ...entry }) => entry),
  };
}

/** The azd environment variables that carry main.bicep's parameters (see infra/main.parameters.json). */
export const AZD_ENV_NAMES = {
  targetsBase64: 'DR_TARGETS_BASE64',
  watchdogSchedule: 'DR_WATCHDOG_SCHEDULE',
};

/**
 * The azd environment file (`azd env set --file`) that carries the parameters: one command-line argument per
 * value would stop at 32,767 characters on Windows, and a 1000-workflow plan's targets are longer.
 */
export function azdEnvFile(parameters, extra = {}) {
  const named = Object.entries(parameters).map(([param, value]) => {
    const name = AZD_ENV_NAMES[param];
    if (!name) throw new Error(`no azd environment variable for parameter ${param}`);
    return [name, value];
  });
  return (
    [...named, ...Object.entries(extra)]
      .map(([name, value]) => {
        // Single quotes: azd's .env reader takes the value literally (a Windows path keeps its backslashes).
        if (/['\r\n]/.test(value))
          throw new Error(`${name}: the value holds a quote or a line break, which a .env line cannot carry`);
        return `${name}='${value}'`;
      })
      .join('\n') + '\n'
  );
}

/**
 * The main.bicep parameters the hook stores in the azd environment. `watchdogSchedule` is the NCRONTAB for
 * the plan's probeInterval, from src/config/watchdog-schedule.ts (the one implementation, which the hook
 * loads through tsx): passed in so this file stays plain JavaScript.
 */
export function deploymentParameters(plan, { watchdogSchedule, linked, serviceBusScope } = {}) {
  if (typeof watchdogSchedule !== 'string' || watchdogSchedule.trim() === '') {
    throw new PlanTargetsError('policy.probeInterval', 'no watchdog schedule was derived from it');
  }
  const { targets, warnings, unknownLinks } = planTargets(plan, { linked, serviceBusScope });
  return {
    parameters: {
      targetsBase64: Buffer.from(JSON.stringify(targets), 'utf8').toString('base64'),
      watchdogSchedule,
    },
    targets,
    warnings,
    unknownLinks,
  };
}

/**
 * Service Bus namespace names are global. With DR_CREATE_SERVICEBUS_NAMESPACE=true main.bicep creates the
 * plan's namespace in the control plane's resource group; a name taken by anyone else would fail deep in the
 * deployment, so the hook asks ARM first. `availability` is ARM's CheckNameAvailability answer;
 * `ownNamespaceExists` says whether the namespace already is in the control plane's group (a redeployment).
 * Returns the problem to stop on, or undefined.
 */
export function namespaceNameProblem(name, availability, ownNamespaceExists, controlPlaneGroup) {
  if (availability.nameAvailable) return undefined;
  if (availability.reason === 'NameInUse' && ownNamespaceExists) return undefined;
  const why = availability.message ? ` (${availability.message})` : '';
  if (availability.reason === 'NameInUse') {
    return (
      `the plan's Service Bus namespace "${name}" is taken by a namespace outside ${controlPlaneGroup}${why}: ` +
      'choose another name in notifications.serviceBus.namespace, or, if that namespace is yours, set ' +
      'DR_CREATE_SERVICEBUS_NAMESPACE=false and DR_SERVICEBUS_RESOURCE_GROUP to its resource group'
    );
  }
  return `the plan's Service Bus namespace "${name}" cannot be created: ${availability.reason ?? 'refused'}${why}`;
}

/**
 * `azd down` deletes every resource group the deployment put a resource in (Azure/azure-dev#2916), and this
 * deployment puts the health check and role assignments in the WORKLOAD's resource groups: azd down would
 * delete the Logic Apps it protects. The predown hook refuses and prints these commands instead: the control
 * plane's group, then in each workload group only what the deployment added there.
 */
export function teardownCommands(targets, env) {
  const principal = env.DR_CONTROL_PLANE_PRINCIPAL_ID?.trim() || '<DR_CONTROL_PLANE_PRINCIPAL_ID>';
  const controlGroup = env.AZURE_RESOURCE_GROUP?.trim() || `rg-${env.AZURE_ENV_NAME ?? '<env>'}`;
  const subscription = env.AZURE_SUBSCRIPTION_ID?.trim() || '<subscription>';
  const lines = [
    `# 1. The control plane (its own group: Function App, storage, identity, monitoring, Service Bus namespace if created)`,
    `az group delete --subscription ${subscription} -n ${controlGroup} --yes`,
  ];
  if (targets.healthCheck.enabled) {
    const hc = targets.healthCheck;
    lines.push(
      `# 2. The health-check Logic App (with its diagnostic setting) and the Log Analytics workspace healthcheck.bicep made for it`,
      `az resource delete --ids /subscriptions/${hc.subscriptionId}/resourceGroups/${hc.resourceGroup}/providers/Microsoft.Logic/workflows/${hc.name}`,
      `az monitor log-analytics workspace list --subscription ${hc.subscriptionId} -g ${hc.resourceGroup} --query "[?starts_with(name, 'log-${hc.name}-')].id" -o tsv | xargs -r -n1 az resource delete --ids`,
    );
  }
  lines.push(
    '# 3. In each workload resource group: the role assignments of the control plane, then its custom roles',
  );
  for (const g of targets.groups) {
    const scope = `/subscriptions/${g.subscriptionId}/resourceGroups/${g.resourceGroup}`;
    lines.push(
      `az role assignment list --subscription ${g.subscriptionId} --scope ${scope} --include-descendants --query "[?principalId=='${principal}'].id" -o tsv | xargs -r az role assignment delete --ids`,
      `az role definition list --custom-role-only true --scope ${scope} --query "[?starts_with(roleName, 'Logic Apps Failover ')].name" -o tsv | xargs -r -I{} az role definition delete --name {} --scope ${scope}`,
    );
  }
  if (targets.serviceBus.enabled && targets.serviceBus.resourceGroup) {
    const sb = targets.serviceBus;
    lines.push(
      '# 4. Data Sender on an existing Service Bus entity (DR_CREATE_SERVICEBUS_NAMESPACE=false)',
      `az role assignment list --subscription ${sb.subscriptionId} --scope /subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup} --include-descendants --query "[?principalId=='${principal}'].id" -o tsv | xargs -r az role assignment delete --ids`,
    );
  }
  lines.push(
    '# 5. The deployment records (azd keeps using the subscription one until it is gone)',
    `az deployment sub delete --subscription ${subscription} -n ${env.AZURE_ENV_NAME ?? '<env>'}`,
  );
  return lines;
}
