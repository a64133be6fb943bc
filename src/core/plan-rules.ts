/**
 * The DR rules over a schema-valid plan: everything a plan must satisfy beyond its shape. Pure: the loader
 * reads files and classifies definitions, then hands the results in.
 */
import { MAX_WORKFLOW_NAME, RESOURCE_GROUP_NAME, WORKFLOW_NAME } from '../plan/schema';
import type {
  DependencyProbe,
  HealthCheck,
  Notifications,
  Plan,
  Policy,
  Region,
  SplitSide,
  WorkflowEntry,
  WorkflowRef,
} from '../plan/schema';
import { durationMs } from './duration';
import { ScheduleError, splitSchedules } from './schedule';
import { allowedRoles, DR_RULES, type TriggerTraits } from './roles';
import { WORKFLOW_RESOURCE_ID, refKey } from './refs';

export interface PlanIssue {
  /** JSON path of the offending value, e.g. ['workflows', 2, 'role']. */
  path: (string | number)[];
  /** The workflow entry's name, when the issue is about one. */
  entry?: string;
  /** Rule id, stable for scripts and break-glass overrides. */
  rule: string;
  message: string;
  fix: string;
}

/** A trigger's traits, plus what the classifier says about it when it came from a definition. */
export interface KnownTrigger extends TriggerTraits {
  /** Trigger name in the definition. */
  name?: string;
  /** Managed API or service provider, e.g. "office365". */
  connector?: string;
  /** The classifier's reason for its kind and state side. */
  reason?: string;
}

/** What is known about an entry's trigger(s): declared, classified from its definition file, or read live. */
export interface EntryTriggers {
  source: 'declared' | 'definition' | 'live';
  triggers: KnownTrigger[];
  /** Where the definition came from, for messages. */
  from?: string;
}

export type TriggerLookup = (entry: WorkflowEntry, index: number) => EntryTriggers | undefined;

const MAX_PAUSE_MS = 7 * 86_400_000;
/** Detection takes failureThreshold probes: probing less often than hourly leaves an outage unseen for hours. */
const MAX_PROBE_INTERVAL_MS = 3_600_000;
/** Below half a second, ordinary latency fails probes of a healthy primary and fails it over. */
const MIN_PROBE_TIMEOUT_MS = 500;
/** A Logic Apps Request trigger answers within 2 minutes or times out: waiting longer only delays detection. */
const MAX_PROBE_TIMEOUT_MS = 120_000;

export const normaliseLocation = (location: string): string => location.toLowerCase().replace(/\s+/g, '');

type Side = 'primary' | 'secondary';

/** The two regions, when they parsed: the reference checks need them. */
export type PlanRegions = Pick<Plan, 'primary' | 'secondary'>;

/**
 * Which plan region a workflow reference points at: by name it is the side's own; by resource id we compare
 * subscription and resource group. `other`: a well-formed id in neither region's resource group (its region
 * can only be told through ARM); `malformed`: a string no adapter can address.
 */
export function refRegion(ref: WorkflowRef, plan: PlanRegions, side: Side): Side | 'other' | 'malformed' {
  if (typeof ref !== 'string') return side;
  if (!ref.includes('/')) return side;
  const m = WORKFLOW_RESOURCE_ID.exec(ref);
  if (!m) return 'malformed';
  const inRegion = (r: Region) =>
    m[1]!.toLowerCase() === r.subscriptionId.toLowerCase() &&
    m[2]!.toLowerCase() === r.resourceGroup.toLowerCase();
  if (inRegion(plan[side])) return side;
  const other: Side = side === 'primary' ? 'secondary' : 'primary';
  return inRegion(plan[other]) ? other : 'other';
}

export const isSplitSide = (value: WorkflowRef | SplitSide): value is SplitSide =>
  typeof value === 'object' && ('active' in value || 'mode' in value);

/** Every workflow reference a side names (a split side names one or two). */
export function sideRefs(value: WorkflowRef | SplitSide): WorkflowRef[] {
  if (!isSplitSide(value)) return [value];
  return 'active' in value ? [value.active, value.passive] : [value.workflow];
}

/**
 * The parts of a plan that passed the schema. The rules run on every part that parsed, so a plan with a typo in
 * one place still has its DR rules checked everywhere else (each rule skips what it needs and did not parse).
 */
export interface PlanParts {
  primary?: Region | undefined;
  secondary?: Region | undefined;
  healthCheck?: HealthCheck | undefined;
  policy?: Policy | undefined;
  notifications?: Notifications | undefined;
  /** By position in the plan; `undefined` where the entry failed the schema (reported there). */
  workflows: readonly (WorkflowEntry | undefined)[];
}

export interface RuleFindings {
  /** The plan must not load while any of these stand. */
  issues: PlanIssue[];
  /** Worth telling the operator; the plan loads. */
  warnings: PlanIssue[];
}

export function checkPlanRules(plan: Plan, triggersOf: TriggerLookup): PlanIssue[] {
  return checkPlanParts(plan, triggersOf).issues;
}

export function checkPlanParts(parts: PlanParts, triggersOf: TriggerLookup): RuleFindings {
  const issues: PlanIssue[] = [];
  const warnings: PlanIssue[] = [];
  const add = (issue: PlanIssue) => issues.push(issue);
  const warn = (issue: PlanIssue) => warnings.push(issue);
  const regions: PlanRegions | undefined =
    parts.primary && parts.secondary ? { primary: parts.primary, secondary: parts.secondary } : undefined;

  if (
    regions &&
    normaliseLocation(regions.primary.location) === normaliseLocation(regions.secondary.location)
  ) {
    add({
      path: ['secondary', 'location'],
      rule: 'distinct-regions',
      message: `primary and secondary are both in ${regions.primary.location}: a regional outage would take both`,
      fix: 'put the secondary in another region (usually the primary’s paired region)',
    });
  }

  if (parts.policy) checkPolicy(parts.policy, add);
  if (parts.healthCheck) checkHealthCheck(parts.healthCheck, regions, parts.policy, add);
  if (parts.notifications) checkNotifications(parts.notifications, add);
  checkWorkflows(parts.workflows, regions, triggersOf, add, warn);
  if (parts.healthCheck && regions)
    checkProbesNotFailedOver(parts.healthCheck, parts.workflows, regions, add);
  return { issues, warnings };
}

/**
 * A probed workflow must not be one the plan fails over: the failover would disable what the monitor probes,
 * so the primary could never look healthy again and no failback would follow.
 */
function checkProbesNotFailedOver(
  hc: HealthCheck,
  workflows: PlanParts['workflows'],
  regions: PlanRegions,
  add: (i: PlanIssue) => void,
): void {
  const probes: { workflow: WorkflowRef | undefined; path: (string | number)[] }[] = [
    { workflow: hc.workflow, path: ['healthCheck', 'workflow'] },
    ...(hc.dependencies?.probes ?? []).map((p, i) => ({
      workflow: p.workflow,
      path: ['healthCheck', 'dependencies', 'probes', i, 'workflow'],
    })),
  ];
  for (const { workflow, path } of probes) {
    if (workflow === undefined || refRegion(workflow, regions, 'primary') !== 'primary') continue;
    const key = refKey(workflow, regions.primary);
    workflows.forEach((entry, index) => {
      if (!entry) return;
      for (const side of ['primary', 'secondary'] as const) {
        if (!sideRefs(entry[side]).some((ref) => refKey(ref, regions[side]) === key)) continue;
        add({
          path,
          rule: 'health-check-not-an-entry',
          message: `${formatRef(workflow)} at ${formatPath(path)} is also workflows[${index}].${side} (workflow "${entry.name}"): a failover would disable or fence the very workflow the monitor probes, so the primary could never look healthy again and failback would never start`,
          fix: `deploy a dedicated health-check workflow, or remove "${entry.name}" from workflows`,
        });
      }
    });
  }
}

const formatRef = (ref: WorkflowRef): string =>
  typeof ref === 'string' ? `"${ref}"` : `"${ref.site}/${ref.workflow}"`;

/** A plan issue's path as the operator writes it: `workflows[2].primary.active`. */
export function formatPath(path: readonly (string | number)[]): string {
  return (
    path.reduce<string>(
      (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
      '',
    ) || '(root)'
  );
}

function checkPolicy(policy: Policy, add: (i: PlanIssue) => void): void {
  if ((policy.failureThreshold === undefined) === (policy.window === undefined)) {
    add({
      path: ['policy'],
      rule: 'one-failure-rule',
      message:
        policy.failureThreshold === undefined
          ? 'policy has neither failureThreshold nor window: nothing would ever trigger a failover'
          : 'policy has both failureThreshold and window: only one failure rule may be in force',
      fix: 'set either "failureThreshold": 3 (consecutive failures) or "window": { "failures": 3, "of": 5 }',
    });
  }
  if (policy.failureThreshold !== undefined && policy.failureThreshold < 1) {
    add({
      path: ['policy', 'failureThreshold'],
      rule: 'threshold-at-least-one',
      message: `failureThreshold is ${policy.failureThreshold}: a failover needs at least one failed probe`,
      fix: 'use a threshold of 1 or more (3 is a common choice)',
    });
  }
  if (policy.window) {
    const { failures, of } = policy.window;
    if (failures < 1 || of < 1) {
      add({
        path: ['policy', 'window'],
        rule: 'threshold-at-least-one',
        message: `window is ${failures} of ${of}: both numbers must be at least 1`,
        fix: 'e.g. "window": { "failures": 3, "of": 5 }',
      });
    } else if (failures > of) {
      add({
        path: ['policy', 'window', 'failures'],
        rule: 'window-k-within-n',
        message: `window asks for ${failures} failures out of the last ${of} probes, which can never happen`,
        fix: `make failures at most ${of}, or widen "of"`,
      });
    }
  }
  if (policy.recoveryThreshold < 1) {
    add({
      path: ['policy', 'recoveryThreshold'],
      rule: 'threshold-at-least-one',
      message: `recoveryThreshold is ${policy.recoveryThreshold}: the primary needs at least one healthy probe to count as recovered`,
      fix: 'use 1 or more (3 is a common choice)',
    });
  }
  if (durationMs(policy.maxPause) > MAX_PAUSE_MS) {
    add({
      path: ['policy', 'maxPause'],
      rule: 'pause-bound',
      message: `maxPause ${policy.maxPause} is over 7 days: a forgotten pause would disable automatic failover for too long`,
      fix: 'use at most P7D',
    });
  }
  if (
    typeof policy.failback === 'object' &&
    'automaticAfter' in policy.failback &&
    durationMs(policy.failback.automaticAfter) < durationMs(policy.cooldown)
  ) {
    add({
      path: ['policy', 'failback', 'automaticAfter'],
      rule: 'failback-after-cooldown',
      message: `failback.automaticAfter ${policy.failback.automaticAfter} is shorter than cooldown ${policy.cooldown}: an automatic failback could land while the cooldown still holds, and if the primary failed again the failover would be withheld until the cooldown ends, leaving traffic in the failing region`,
      fix: `make automaticAfter at least the cooldown (${policy.cooldown}), or shorten the cooldown`,
    });
  }
  if (durationMs(policy.probeInterval) < 1000) {
    add({
      path: ['policy', 'probeInterval'],
      rule: 'probe-interval',
      message: `probeInterval ${policy.probeInterval} is under one second`,
      fix: 'probe every few seconds at most (PT30S is a common choice)',
    });
  } else if (durationMs(policy.probeInterval) > MAX_PROBE_INTERVAL_MS) {
    add({
      path: ['policy', 'probeInterval'],
      rule: 'probe-interval',
      message: `probeInterval ${policy.probeInterval} is over an hour: a failover waits for failureThreshold failed probes, so an outage would go unhandled for hours`,
      fix: 'probe at least hourly (PT30S is a common choice)',
    });
  }
}

function checkProbeTarget(
  probe: Pick<DependencyProbe, 'workflow' | 'trigger' | 'urlSetting' | 'timeout'>,
  path: (string | number)[],
  regions: PlanRegions | undefined,
  policy: Policy | undefined,
  add: (i: PlanIssue) => void,
): void {
  const byWorkflow = probe.workflow !== undefined || probe.trigger !== undefined;
  if (byWorkflow === (probe.urlSetting !== undefined)) {
    add({
      path,
      rule: 'probe-target',
      message: byWorkflow
        ? 'give either workflow + trigger or urlSetting, not both'
        : 'no probe target: neither workflow + trigger nor urlSetting is set',
      fix: 'use { "workflow": "health-check", "trigger": "manual" } or { "urlSetting": "HEALTHCHECK_URL" }',
    });
  } else if (byWorkflow && (probe.workflow === undefined || probe.trigger === undefined)) {
    add({
      path: [...path, probe.workflow === undefined ? 'workflow' : 'trigger'],
      rule: 'probe-target',
      message: 'a workflow probe needs both workflow and trigger (the Request trigger to call)',
      fix: 'add the missing field, e.g. "trigger": "manual"',
    });
  }
  for (const problem of probe.workflow === undefined ? [] : refNameProblems(probe.workflow)) {
    add({ path: [...path, 'workflow'], rule: 'azure-name', message: problem, fix: AZURE_NAME_FIX });
  }
  const region =
    probe.workflow !== undefined && regions ? refRegion(probe.workflow, regions, 'primary') : undefined;
  if (region === 'malformed') {
    add({
      path: [...path, 'workflow'],
      rule: 'workflow-ref',
      message: malformedRefMessage(probe.workflow as string),
      fix: MALFORMED_REF_FIX,
    });
  } else if (region !== undefined && region !== 'primary') {
    add({
      path: [...path, 'workflow'],
      rule: 'health-check-in-primary',
      message:
        'the health-check workflow must be in the primary region’s resource group: it proves the primary is alive',
      fix: 'name the health-check workflow deployed in the primary region',
    });
  }
  const timeoutMs = probe.timeout === undefined ? undefined : durationMs(probe.timeout);
  if (timeoutMs !== undefined && (timeoutMs < MIN_PROBE_TIMEOUT_MS || timeoutMs > MAX_PROBE_TIMEOUT_MS)) {
    add({
      path: [...path, 'timeout'],
      rule: 'probe-timeout',
      message:
        timeoutMs < MIN_PROBE_TIMEOUT_MS
          ? `probe timeout ${probe.timeout} is under half a second: ordinary latency would fail probes of a healthy primary and fail it over`
          : `probe timeout ${probe.timeout} is over two minutes: a Logic Apps Request trigger answers within two minutes or fails, so a longer wait only delays detection`,
      fix: 'use a timeout from PT0.5S to PT2M (PT10S is a common choice)',
    });
  }
  if (
    probe.timeout !== undefined &&
    policy &&
    durationMs(probe.timeout) >= durationMs(policy.probeInterval)
  ) {
    add({
      path: [...path, 'timeout'],
      rule: 'timeout-below-interval',
      message: `probe timeout ${probe.timeout} is not shorter than probeInterval ${policy.probeInterval}: probes would overlap`,
      fix: 'make the timeout shorter than the probe interval',
    });
  }
}

/** Logic Apps Standard site (Microsoft.Web/sites) names: 2-60 letters, digits and hyphens, not at either end. */
const SITE_NAME = /^[\p{L}\p{Nd}](?:[-\p{L}\p{Nd}]{0,58}[\p{L}\p{Nd}])$/u;

/** Why ARM would reject this workflow name, or undefined when it would not. */
function workflowNameProblem(name: string): string | undefined {
  if (WORKFLOW_NAME.test(name)) return undefined;
  const length = [...name].length;
  if (length > MAX_WORKFLOW_NAME)
    return `is ${length} characters long; Azure allows at most ${MAX_WORKFLOW_NAME}`;
  const bad = [...name].find((ch) => !WORKFLOW_NAME.test(ch));
  if (bad === undefined) return undefined;
  const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  if (/\p{Cc}/u.test(bad)) return `contains the control character ${code}`;
  const breaksUrl = '?#%/\\'.includes(bad) ? ', which would also break the ARM request URL' : '';
  return `contains ${JSON.stringify(bad)}${breaksUrl}; Azure allows letters, digits and - _ . ( ) only`;
}

/**
 * Names in a workflow reference that ARM would reject: a plain name, the resource group and name inside a
 * resource id, or a Standard site and workflow. Malformed ids are reported as such elsewhere.
 */
function refNameProblems(ref: WorkflowRef): string[] {
  const problems: string[] = [];
  const name = (what: string, value: string) => {
    const problem = workflowNameProblem(value);
    if (problem) problems.push(`${what} ${JSON.stringify(value)} ${problem}`);
  };
  if (typeof ref !== 'string') {
    if (!SITE_NAME.test(ref.site)) {
      problems.push(
        `site name ${JSON.stringify(ref.site)} is not one Azure accepts: 2-60 letters, digits and hyphens, not starting or ending with a hyphen`,
      );
    }
    name('workflow name', ref.workflow);
  } else if (!ref.includes('/')) {
    name('workflow name', ref);
  } else {
    const m = WORKFLOW_RESOURCE_ID.exec(ref);
    if (m && !RESOURCE_GROUP_NAME.test(m[2]!)) {
      problems.push(
        `resource group ${JSON.stringify(m[2])} in the resource id is not a name Azure accepts: 1-90 letters, digits, - _ . ( ), not ending in "."`,
      );
    }
    if (m) name('workflow name', m[3]!);
  }
  return problems;
}

const AZURE_NAME_FIX = 'use the name the workflow has in Azure (letters, digits and - _ . ( ), at most 80)';

const MALFORMED_REF_FIX =
  'name the workflow (it is looked up in that region’s resource group), give the full id /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Logic/workflows/{name}, or for Logic Apps Standard { "site": "...", "workflow": "..." }';

const malformedRefMessage = (ref: string) =>
  `"${ref}" is neither a workflow name nor the resource id of a Microsoft.Logic/workflows resource, so ARM cannot be asked for it`;

function checkHealthCheck(
  hc: HealthCheck,
  regions: PlanRegions | undefined,
  policy: Policy | undefined,
  add: (i: PlanIssue) => void,
): void {
  checkProbeTarget(hc, ['healthCheck'], regions, policy, add);
  const deps = hc.dependencies;
  if (!deps) return;
  deps.probes.forEach((probe, i) =>
    checkProbeTarget(probe, ['healthCheck', 'dependencies', 'probes', i], regions, policy, add),
  );
  const names = new Set<string>();
  deps.probes.forEach((probe, i) => {
    if (names.has(probe.name)) {
      add({
        path: ['healthCheck', 'dependencies', 'probes', i, 'name'],
        rule: 'duplicate-name',
        message: `dependency probe name "${probe.name}" is used twice`,
        fix: 'give each dependency probe its own name',
      });
    }
    names.add(probe.name);
  });
  if (typeof deps.require === 'object' && deps.require.atLeast > deps.probes.length) {
    add({
      path: ['healthCheck', 'dependencies', 'require', 'atLeast'],
      rule: 'window-k-within-n',
      message: `require.atLeast is ${deps.require.atLeast} but only ${deps.probes.length} dependency probes exist`,
      fix: `use at most ${deps.probes.length}, or "all"`,
    });
  }
}

function checkNotifications(notifications: Notifications, add: (i: PlanIssue) => void): void {
  const sb = notifications.serviceBus;
  if (!sb) return;
  const path = ['notifications', 'serviceBus'];
  if ((sb.namespace === undefined) === (sb.connectionSetting === undefined)) {
    add({
      path,
      rule: 'service-bus-target',
      message: 'give exactly one of namespace (identity-based, preferred) or connectionSetting',
      fix: 'e.g. "namespace": "contoso-dr.servicebus.windows.net"',
    });
  }
  if ((sb.queue === undefined) === (sb.topic === undefined)) {
    add({
      path,
      rule: 'service-bus-target',
      message: 'give exactly one of queue or topic',
      fix: 'e.g. "topic": "failover-events"',
    });
  }
}

function checkWorkflows(
  workflows: PlanParts['workflows'],
  regions: PlanRegions | undefined,
  triggersOf: TriggerLookup,
  add: (i: PlanIssue) => void,
  warn: (i: PlanIssue) => void,
): void {
  const seenNames = new Map<string, number>();
  const claimed = new Map<string, string>();

  workflows.forEach((entry, index) => {
    if (!entry) return; // Failed the schema: its errors are reported at its position.
    const at = (...rest: (string | number)[]) => ['workflows', index, ...rest];
    const finding =
      (to: (i: PlanIssue) => void): EntryIssue =>
      (rest, rule, message, fix) =>
        to({
          path: at(...rest),
          entry: entry.name,
          rule,
          message: `workflow "${entry.name}": ${message}`,
          fix,
        });
    const issue = finding(add);

    const first = seenNames.get(entry.name);
    if (first !== undefined) {
      issue(
        ['name'],
        'duplicate-name',
        `name is already used by workflows[${first}]`,
        'give every entry its own name',
      );
    } else seenNames.set(entry.name, index);

    checkEntryShape(entry, issue);

    for (const side of ['primary', 'secondary'] as const) {
      for (const ref of sideRefs(entry[side])) {
        for (const problem of refNameProblems(ref)) {
          issue([side], 'azure-name', `its ${side} side's ${problem}`, AZURE_NAME_FIX);
        }
        if (!regions) continue; // The regions failed the schema: nothing to compare with.
        const region = refRegion(ref, regions, side);
        if (region === 'malformed') {
          issue([side], 'workflow-ref', malformedRefMessage(ref as string), MALFORMED_REF_FIX);
          continue;
        }
        if (region === 'other') {
          const m = WORKFLOW_RESOURCE_ID.exec(ref as string)!;
          finding(warn)(
            [side],
            'side-region-unverified',
            `its ${side} side is in resource group ${m[2]} of subscription ${m[1]}, which is not the ${side} region’s (${regions[side].resourceGroup}), so its region cannot be checked offline`,
            `\`dr ready\` compares its ARM location with ${regions[side].location}; move it to ${regions[side].resourceGroup} to have it checked here too`,
          );
        } else if (region !== side) {
          issue(
            [side],
            'sides-in-their-regions',
            `its ${side} side points at the ${region} region’s resource group`,
            `the ${side} side must name a workflow deployed in the ${side} region (${regions[side].location})`,
          );
        }
        const key = refKey(ref, regions[side]);
        const owner = claimed.get(key);
        if (owner !== undefined) {
          issue(
            [side],
            'workflow-claimed-twice',
            `${typeof ref === 'string' ? ref : `${ref.site}/${ref.workflow}`} is already claimed by ${owner}`,
            'each workflow may belong to one entry and one side only',
          );
        } else claimed.set(key, `workflow "${entry.name}" (${side})`);
      }
    }

    const known = triggersOf(entry, index);
    if (!known && isUndeclared(entry)) {
      checkUndeclared(entry, issue, finding(warn));
    }
    checkTriggerRules(entry, known, issue);
    if (known) checkDeclaredStateSide(entry, known, finding(warn));
  });
}

/** Entries the loader cannot check: neither `trigger` nor `definition`, so their rules depend on the live definition. */
export const isUndeclared = (entry: WorkflowEntry): boolean =>
  entry.trigger === undefined && entry.definition === undefined;

/**
 * An entry with neither `trigger` nor `definition`: its rules run on the live definition (dr ready, every
 * operation, start-up). Logic Apps Standard definitions are not readable through ARM, so those must declare.
 */
function checkUndeclared(entry: WorkflowEntry, issue: EntryIssue, warn: EntryIssue): void {
  const standard = (['primary', 'secondary'] as const).some((side) =>
    sideRefs(entry[side]).some((ref) => typeof ref !== 'string'),
  );
  if (standard) {
    issue(
      ['trigger'],
      'trigger-undeclared',
      'a Logic Apps Standard workflow’s definition lives in its site’s files and is not read through ARM, so without "trigger" its DR rules could never be checked',
      'declare "trigger" (and "stateSide" for polling), or point "definition" at its workflow.json',
    );
    return;
  }
  warn(
    [],
    'trigger-undeclared',
    'neither "trigger" nor "definition" is given, so its DR rules are checked against the live definition read through ARM: by dr ready, at control-plane start-up (logged), and before every failover or failback, which blocks the entry if its role is not allowed',
    'declare "trigger" (and "stateSide" for polling) to have the rules checked offline too',
  );
}

type EntryIssue = (rest: (string | number)[], rule: string, message: string, fix: string) => void;

function checkEntryShape(entry: WorkflowEntry, issue: EntryIssue): void {
  const split = entry.role === 'split-recurrence';
  for (const side of ['primary', 'secondary'] as const) {
    if (split && !isSplitSide(entry[side])) {
      issue(
        [side],
        'split-side-shape',
        `a split-recurrence ${side} side must be { "active", "passive" } twins or { "workflow", "mode": "rewrite" }`,
        `e.g. "${side}": { "active": "report-${side}-a", "passive": "report-${side}-b" }`,
      );
    }
    if (!split && isSplitSide(entry[side])) {
      issue(
        [side],
        'split-side-shape',
        `${entry.role} takes one workflow per side, not split twins`,
        'name one workflow, or use role "split-recurrence"',
      );
    }
  }
  if (split && !entry.schedule) {
    issue(
      ['schedule'],
      'split-needs-schedule',
      'split-recurrence needs the split cadence to flip and restore schedules at slot boundaries',
      'add "schedule": { "every": "PT10M", "anchor": "2024-01-01T00:00:00Z" } (see `dr schedule`)',
    );
  }
  if (split && entry.schedule) checkSplitCadence(entry.schedule, issue);
  if (!split && entry.schedule) {
    issue(
      ['schedule'],
      'split-needs-schedule',
      'schedule applies to split-recurrence entries only',
      'remove it',
    );
  }
  if (entry.trigger !== undefined && entry.trigger !== 'polling') {
    for (const field of ['stateSide', 'ordered', 'sessions'] as const) {
      if (entry[field] !== undefined) {
        issue(
          [field],
          'polling-only-field',
          `${field} applies to polling triggers, not ${entry.trigger}`,
          `remove ${field}`,
        );
      }
    }
  }
}

/** A split needs at least a minute per slot: each region's Recurrence runs every other slot of it. */
const MIN_SPLIT_MS = 60_000;

/**
 * The split cadence must be one the planner can turn into Recurrence triggers: otherwise the plan loads and
 * every failover and failback of the entry throws when it computes the schedules or the next slot boundary.
 */
function checkSplitCadence(schedule: NonNullable<WorkflowEntry['schedule']>, issue: EntryIssue): void {
  const ms = durationMs(schedule.every);
  if (ms < MIN_SPLIT_MS) {
    issue(
      ['schedule', 'every'],
      'split-cadence',
      `schedule.every ${schedule.every} is ${ms === 0 ? 'zero, so there are no slots to alternate' : 'under a minute'}: a split alternates slots between the two regions, each region's Recurrence firing every other slot, and the planner splits cadences of PT1M or more only`,
      'use PT1M or more (e.g. PT10M), or make the entry active-passive',
    );
    return;
  }
  if (ms % 1000 !== 0) {
    issue(
      ['schedule', 'every'],
      'split-cadence',
      `schedule.every ${schedule.every} is not a whole number of seconds, the smallest Recurrence unit`,
      'use whole seconds, minutes or hours (e.g. PT90S or PT2M)',
    );
    return;
  }
  try {
    splitSchedules({ ...schedule, form: 'auto' }); // What the planner computes at every operation.
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    const field = /^(every|anchor|timeZone):/.exec(err.message)?.[1];
    issue(
      field ? ['schedule', field] : ['schedule'],
      'split-cadence',
      `the split schedule cannot be built, so every failover and failback of this entry would fail: ${err.message}`,
      'correct the schedule (`dr schedule` shows the recurrences a cadence gives)',
    );
  }
}

function checkTriggerRules(entry: WorkflowEntry, known: EntryTriggers | undefined, issue: EntryIssue): void {
  if (!known) return; // Classified later from the live definition (see checkUndeclared).
  const triggers = known.triggers.map((t) => ({
    ...t,
    // The plan's declarations refine what a definition cannot show.
    stateSide: entry.stateSide ?? t.stateSide,
    ordered: entry.ordered ?? t.ordered,
    sessions: entry.sessions ?? t.sessions,
  }));
  const live = known.source === 'live';
  const via = live ? ` (read live from ${known.from ?? 'ARM'})` : '';
  if (triggers.length === 0) {
    issue(
      [live ? 'trigger' : 'definition'],
      'no-trigger',
      `the ${live ? 'live ' : ''}definition${known.from ? ` ${known.from}` : ''} has no trigger, so it cannot be failed over`,
      live
        ? 'deploy the workflow with its trigger, or declare "trigger" in the plan'
        : 'point "definition" at the workflow’s definition, or declare "trigger"',
    );
    return;
  }
  if (entry.trigger !== undefined && known.source === 'definition') {
    const kinds = [...new Set(triggers.map((t) => t.kind))];
    if (!kinds.includes(entry.trigger)) {
      issue(
        ['trigger'],
        'trigger-mismatch',
        `declares trigger "${entry.trigger}" but its definition${known.from ? ` ${known.from}` : ''} has ${kinds.join(', ')}`,
        'correct "trigger" or "definition"',
      );
    }
  }
  for (const t of triggers) {
    if (entry.role === 'split-recurrence' && t.kind !== 'recurrence') {
      issue(
        ['role'],
        DR_RULES.splitNeedsRecurrence,
        `split-recurrence needs a Recurrence trigger, but the trigger${via} is ${t.kind}`,
        'use active-passive (or active-active where the trigger allows it)',
      );
      continue;
    }
    const verdict = allowedRoles(t);
    if (!verdict.allowed.includes(entry.role)) {
      issue(
        ['role'],
        verdict.rule ?? 'role-not-allowed',
        `role ${entry.role} is unsafe for a ${describeTrigger(t)}${via}: ${verdict.reason}`,
        verdict.allowed.length
          ? `use ${verdict.allowed.map((r) => `"${r}"`).join(' or ')}`
          : 'declare "trigger" (and "stateSide" for polling) in the plan',
      );
    }
  }
}

/** Connectors whose items are mail, for a warning that says what will be read twice. */
const MAIL_CONNECTORS = new Set(['office365', 'outlook']);

/**
 * A declared `stateSide: "server"` overrides what the classifier knows of a client-state connector. When that
 * is what lets the role stand (active-active), say so loudly: the operator may know better, so it only warns.
 */
function checkDeclaredStateSide(entry: WorkflowEntry, known: EntryTriggers, warn: EntryIssue): void {
  if (entry.stateSide !== 'server' || known.source === 'declared') return;
  for (const t of known.triggers) {
    if (t.kind !== 'polling' || t.stateSide !== 'client') continue;
    const traits = { ...t, ordered: entry.ordered ?? t.ordered, sessions: entry.sessions ?? t.sessions };
    const asDeclared = allowedRoles({ ...traits, stateSide: 'server' }).allowed.includes(entry.role);
    const asClassified = allowedRoles(traits).allowed.includes(entry.role);
    if (!asDeclared || asClassified) continue;
    const what = `${t.connector ? `${t.connector} ` : ''}trigger${t.name ? ` "${t.name}"` : ''}`;
    const why = t.reason?.split('; ')[0];
    const items = t.connector && MAIL_CONNECTORS.has(t.connector.toLowerCase()) ? 'mail' : 'every item';
    warn(
      ['stateSide'],
      'state-side-overrides-classifier',
      `declares stateSide "server", but its ${what}${known.from ? ` in ${known.from}` : ''} keeps its read position in its own region${why ? ` (${why})` : ''}: the declaration makes it ${entry.role}, so ${items} will be read in both regions`,
      `unless the connector really hands each item out once, remove "stateSide" and make the entry active-passive`,
    );
  }
}

/**
 * The load-time trigger rules, run on triggers classified from a live definition (`from` names it, e.g.
 * `secondary:order-hook`). Same rules, same ids: an entry left undeclared is held to what a declared one is.
 */
export function liveTriggerIssues(
  entry: WorkflowEntry,
  index: number,
  triggers: TriggerTraits[],
  from: string,
): PlanIssue[] {
  const issues: PlanIssue[] = [];
  checkTriggerRules(entry, { source: 'live', triggers, from }, (rest, rule, message, fix) =>
    issues.push({
      path: ['workflows', index, ...rest],
      entry: entry.name,
      rule,
      message: `workflow "${entry.name}": ${message}`,
      fix,
    }),
  );
  return issues;
}

function describeTrigger(t: TriggerTraits): string {
  if (t.kind !== 'polling') return `${t.kind} trigger`;
  const side = t.stateSide ? `${t.stateSide}-state ` : '';
  const order = t.ordered ? (t.sessions ? 'ordered (sessions) ' : 'ordered ') : '';
  return `${order}${side}polling trigger`;
}
