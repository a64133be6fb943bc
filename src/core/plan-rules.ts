/**
 * The DR rules over a schema-valid plan: everything a plan must satisfy beyond its shape. Pure: the loader
 * reads files and classifies definitions, then hands the results in.
 */
import type {
  DependencyProbe,
  HealthCheck,
  Plan,
  Region,
  SplitSide,
  WorkflowEntry,
  WorkflowRef,
} from '../plan/schema';
import { durationMs } from './duration';
import { allowedRoles, DR_RULES, type TriggerTraits } from './roles';

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

/** What is known about an entry's trigger(s): declared in the plan, or classified from its definition. */
export interface EntryTriggers {
  source: 'declared' | 'definition';
  triggers: TriggerTraits[];
  /** Where the definition came from, for messages. */
  from?: string;
}

export type TriggerLookup = (entry: WorkflowEntry, index: number) => EntryTriggers | undefined;

const MAX_PAUSE_MS = 7 * 86_400_000;

export const normaliseLocation = (location: string): string => location.toLowerCase().replace(/\s+/g, '');

type Side = 'primary' | 'secondary';

/** Which plan region a workflow reference points at: by name it is the side's own; by resource id we compare. */
export function refRegion(ref: WorkflowRef, plan: Plan, side: Side): Side | 'other' {
  if (typeof ref !== 'string' || !ref.startsWith('/')) return side;
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(ref);
  if (!m) return 'other';
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

/** A stable identity for a reference within a region, to catch the same workflow claimed twice. */
export function refKey(ref: WorkflowRef, region: Region): string {
  if (typeof ref !== 'string')
    return `${region.subscriptionId}/${region.resourceGroup}/sites/${ref.site}/${ref.workflow}`.toLowerCase();
  if (ref.startsWith('/')) {
    const m =
      /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)$/i.exec(
        ref,
      );
    if (m) return `${m[1]}/${m[2]}/${m[3]}`.toLowerCase();
    return ref.toLowerCase();
  }
  return `${region.subscriptionId}/${region.resourceGroup}/${ref}`.toLowerCase();
}

export function checkPlanRules(plan: Plan, triggersOf: TriggerLookup): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const add = (issue: PlanIssue) => issues.push(issue);

  if (normaliseLocation(plan.primary.location) === normaliseLocation(plan.secondary.location)) {
    add({
      path: ['secondary', 'location'],
      rule: 'distinct-regions',
      message: `primary and secondary are both in ${plan.primary.location}: a regional outage would take both`,
      fix: 'put the secondary in another region (usually the primary’s paired region)',
    });
  }

  checkPolicy(plan, add);
  checkHealthCheck(plan.healthCheck, plan, add);
  checkNotifications(plan, add);
  checkWorkflows(plan, triggersOf, add);
  return issues;
}

function checkPolicy(plan: Plan, add: (i: PlanIssue) => void): void {
  const { policy } = plan;
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
  if (durationMs(policy.probeInterval) < 1000) {
    add({
      path: ['policy', 'probeInterval'],
      rule: 'probe-interval',
      message: `probeInterval ${policy.probeInterval} is under one second`,
      fix: 'probe every few seconds at most (PT30S is a common choice)',
    });
  }
}

function checkProbeTarget(
  probe: Pick<DependencyProbe, 'workflow' | 'trigger' | 'urlSetting' | 'timeout'>,
  path: (string | number)[],
  plan: Plan,
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
  if (probe.workflow !== undefined && refRegion(probe.workflow, plan, 'primary') !== 'primary') {
    add({
      path: [...path, 'workflow'],
      rule: 'health-check-in-primary',
      message:
        'the health-check workflow must be in the primary region’s resource group: it proves the primary is alive',
      fix: 'name the health-check workflow deployed in the primary region',
    });
  }
  if (probe.timeout !== undefined && durationMs(probe.timeout) >= durationMs(plan.policy.probeInterval)) {
    add({
      path: [...path, 'timeout'],
      rule: 'timeout-below-interval',
      message: `probe timeout ${probe.timeout} is not shorter than probeInterval ${plan.policy.probeInterval}: probes would overlap`,
      fix: 'make the timeout shorter than the probe interval',
    });
  }
}

function checkHealthCheck(hc: HealthCheck, plan: Plan, add: (i: PlanIssue) => void): void {
  checkProbeTarget(hc, ['healthCheck'], plan, add);
  const deps = hc.dependencies;
  if (!deps) return;
  deps.probes.forEach((probe, i) =>
    checkProbeTarget(probe, ['healthCheck', 'dependencies', 'probes', i], plan, add),
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

function checkNotifications(plan: Plan, add: (i: PlanIssue) => void): void {
  const sb = plan.notifications?.serviceBus;
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

function checkWorkflows(plan: Plan, triggersOf: TriggerLookup, add: (i: PlanIssue) => void): void {
  const seenNames = new Map<string, number>();
  const claimed = new Map<string, string>();

  plan.workflows.forEach((entry, index) => {
    const at = (...rest: (string | number)[]) => ['workflows', index, ...rest];
    const issue = (rest: (string | number)[], rule: string, message: string, fix: string) =>
      add({
        path: at(...rest),
        entry: entry.name,
        rule,
        message: `workflow "${entry.name}": ${message}`,
        fix,
      });

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
        const region = refRegion(ref, plan, side);
        if (region !== side && region !== 'other') {
          issue(
            [side],
            'sides-in-their-regions',
            `its ${side} side points at the ${region} region’s resource group`,
            `the ${side} side must name a workflow deployed in the ${side} region (${plan[side].location})`,
          );
        }
        const key = refKey(ref, plan[side]);
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

    checkTriggerRules(entry, triggersOf(entry, index), issue);
  });
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

function checkTriggerRules(entry: WorkflowEntry, known: EntryTriggers | undefined, issue: EntryIssue): void {
  if (!known) return; // Classified later from the live definition (`dr ready`, control-plane start-up).
  const triggers = known.triggers.map((t) => ({
    ...t,
    // The plan's declarations refine what a definition cannot show.
    stateSide: entry.stateSide ?? t.stateSide,
    ordered: entry.ordered ?? t.ordered,
    sessions: entry.sessions ?? t.sessions,
  }));
  if (triggers.length === 0) {
    issue(
      ['definition'],
      'no-trigger',
      `the definition${known.from ? ` ${known.from}` : ''} has no trigger, so it cannot be failed over`,
      'point "definition" at the workflow’s definition, or declare "trigger"',
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
        `split-recurrence needs a Recurrence trigger, but the trigger is ${t.kind}`,
        'use active-passive (or active-active where the trigger allows it)',
      );
      continue;
    }
    const verdict = allowedRoles(t);
    if (!verdict.allowed.includes(entry.role)) {
      issue(
        ['role'],
        verdict.rule ?? 'role-not-allowed',
        `role ${entry.role} is unsafe for a ${describeTrigger(t)}: ${verdict.reason}`,
        verdict.allowed.length
          ? `use ${verdict.allowed.map((r) => `"${r}"`).join(' or ')}`
          : 'declare "trigger" (and "stateSide" for polling) in the plan',
      );
    }
  }
}

function describeTrigger(t: TriggerTraits): string {
  if (t.kind !== 'polling') return `${t.kind} trigger`;
  const side = t.stateSide ? `${t.stateSide}-state ` : '';
  const order = t.ordered ? (t.sessions ? 'ordered (sessions) ' : 'ordered ') : '';
  return `${order}${side}polling trigger`;
}
