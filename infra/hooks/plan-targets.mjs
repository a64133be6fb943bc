// Derives, from a failover plan, where the control plane must act: the resource groups whose workflows it
// switches (and whether they hold Logic Apps Standard sites), the health-check workflows whose callback URL it
// reads, and the Service Bus entity it sends to. main.bicep receives the result as one base64 parameter, so
// the template stays free of resource-id parsing and the rules live here, where a test can reach them.

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

/** The workflow references of one side of an entry: a plain ref, a twin pair, or a rewrite target. */
function sideRefs(side, path) {
  if (side && typeof side === 'object' && 'active' in side && 'passive' in side) {
    return [
      [side.active, `${path}.active`],
      [side.passive, `${path}.passive`],
    ];
  }
  if (side && typeof side === 'object' && 'workflow' in side && 'mode' in side) {
    return [[side.workflow, `${path}.workflow`]];
  }
  return [[side, path]];
}

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
 * the exact fields main.bicep reads.
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
        operator: false,
        standard: false,
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
      for (const [ref, path] of sideRefs(entry?.[side], `workflows[${i}].${side}`)) {
        const resolved = resolveWorkflowRef(ref, region, path);
        const scope = scopeFor(resolved);
        scope.operator = true;
        scope.standard = scope.standard || resolved.standard;
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
    const names = scopeFor(resolved).healthCheckWorkflows;
    if (!names.includes(resolved.name)) names.push(resolved.name);
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
