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

/**
 * @returns {{ targets: object, warnings: string[] }} targets has `scopes`, `healthCheck` and `serviceBus`,
 * the exact fields main.bicep reads. Each scope is one resource group: `workflows` (Consumption workflows to
 * enable and disable), `rewriteWorkflows` (those whose definition is rewritten), `sites` (Standard sites) and
 * `healthCheckWorkflows`, names only, in plan order, each once.
 */
export function planTargets(plan) {
  const warnings = [];
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
      };
      scopes.set(key, scope);
    }
    return scope;
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
        if (rewrite) addOnce(scope.rewriteWorkflows, resolved.name);
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
    };
  } else if (bus && typeof bus.connectionSetting === 'string') {
    warnings.push(
      `notifications.serviceBus uses connectionSetting "${bus.connectionSetting}": no namespace or role is ` +
        'deployed for it; put the connection in that app setting as a Key Vault reference',
    );
  }

  return {
    targets: {
      scopes: [...scopes.values()],
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
  return targets.scopes.map((scope) =>
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
    ].join(' '),
  );
}

/** Normalises a region name the way ARM compares them: "West Europe" and "westeurope" are the same. */
export const normaliseLocation = (location) => String(location).replace(/\s+/g, '').toLowerCase();

/**
 * The plan as the deployed app reads it (app setting DR_PLAN). `definition` and `$schema` are paths relative
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
  planBase64: 'DR_PLAN_BASE64',
  targetsBase64: 'DR_TARGETS_BASE64',
  watchdogSchedule: 'DR_WATCHDOG_SCHEDULE',
};

/**
 * The main.bicep parameters the hook stores in the azd environment. `watchdogSchedule` is the NCRONTAB for
 * the plan's probeInterval, from src/config/watchdog-schedule.ts (the one implementation, which the hook
 * loads through tsx): passed in so this file stays plain JavaScript.
 */
export function deploymentParameters(plan, { watchdogSchedule } = {}) {
  if (typeof watchdogSchedule !== 'string' || watchdogSchedule.trim() === '') {
    throw new PlanTargetsError('policy.probeInterval', 'no watchdog schedule was derived from it');
  }
  const { targets, warnings } = planTargets(plan);
  return {
    parameters: {
      planBase64: Buffer.from(JSON.stringify(deployablePlan(plan)), 'utf8').toString('base64'),
      targetsBase64: Buffer.from(JSON.stringify(targets), 'utf8').toString('base64'),
      watchdogSchedule,
    },
    targets,
    warnings,
  };
}
