/**
 * `dr ready`: is the estate ready to fail over? Reads both regions through ARM and checks, per plan entry,
 * that the workflows exist, are in their normal-operation states, have not drifted apart, use connections in
 * their own region, and that the health-check workflow can answer probes.
 */
import { classifyDefinition } from '../core/classify';
import { allowedRoles } from '../core/roles';
import { entryTargets, normalState, type WorkflowTarget } from '../core/planner';
import { coverageViolations, overlapViolations } from '../core/safety';
import { normaliseLocation } from '../core/plan-rules';
import type { LogicAppsControl, WorkflowInfo } from '../adapters/logicapps/port';
import type { Plan, WorkflowEntry } from '../plan/schema';
import { observationKey, observePlan, observeTarget, type Observed } from './observe';

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface ReadinessCheck {
  entry: string;
  check:
    | 'exists'
    | 'state'
    | 'drift'
    | 'connections'
    | 'integration-account'
    | 'trigger-rules'
    | 'schedule'
    | 'health-check';
  status: CheckStatus;
  detail: string;
}

export interface ReadinessReport {
  plan: string;
  ready: boolean;
  checks: ReadinessCheck[];
}

// Region-specific ids are expected to differ between the twins; everything else must match.
const REGIONAL_ID = /\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\//gi;
const MANAGED_API_LOCATION = /\/locations\/[^/]+\/managedApis\//gi;

function normaliseDefinition(definition: unknown, ignoreRecurrence: boolean): unknown {
  const walk = (value: unknown, path: string[]): unknown => {
    if (typeof value === 'string') {
      return value
        .replace(REGIONAL_ID, '/subscriptions/*/resourceGroups/*/')
        .replace(MANAGED_API_LOCATION, '/locations/*/managedApis/');
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)]));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (path.length === 2 && path[0] === 'parameters' && k === 'defaultValue') continue;
        if (ignoreRecurrence && path.length === 2 && path[0] === 'triggers' && k === 'recurrence') continue;
        out[k] = walk(v, [...path, k]);
      }
      return out;
    }
    return value;
  };
  return walk(definition, []);
}

/** JSON paths where two values differ (at most `limit`). */
export function jsonDiff(a: unknown, b: unknown, path = '$', limit = 10, out: string[] = []): string[] {
  if (out.length >= limit) return out;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const child = Array.isArray(a)
        ? `${path}[${k}]`
        : /^[A-Za-z_$][\w$]*$/.test(k)
          ? `${path}.${k}`
          : `${path}[${JSON.stringify(k)}]`;
      jsonDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], child, limit, out);
    }
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  return out;
}

/** Pairs whose definitions must match: same slots for twins, same workflow otherwise. */
function twinPairs(plan: Plan, entry: WorkflowEntry): [WorkflowTarget, WorkflowTarget, boolean][] {
  const targets = entryTargets(plan, entry);
  const primary = targets.filter((t) => t.region === 'primary');
  const secondary = targets.filter((t) => t.region === 'secondary');
  if (typeof entry.primary === 'object' && 'active' in entry.primary && secondary.length === 2) {
    // primary.active runs the slots secondary.passive takes over, and vice versa.
    return [
      [primary[0]!, secondary[1]!, false],
      [primary[1]!, secondary[0]!, false],
    ];
  }
  return [[primary[0]!, secondary[0]!, entry.role === 'split-recurrence']];
}

function connectionLocations(info: WorkflowInfo): { name: string; location: string }[] {
  const value =
    (info.parameters?.$connections as { value?: Record<string, { id?: string }> } | undefined)?.value ?? {};
  return Object.entries(value).flatMap(([name, c]) => {
    const m = /\/locations\/([^/]+)\/managedApis\//i.exec(c.id ?? '');
    return m ? [{ name, location: m[1]! }] : [];
  });
}

function hasResponseAction(actions: unknown): boolean {
  if (!actions || typeof actions !== 'object') return false;
  return Object.values(actions as Record<string, Record<string, unknown>>).some(
    (a) =>
      (typeof a.type === 'string' && /^Response$/i.test(a.type)) ||
      hasResponseAction(a.actions) ||
      hasResponseAction((a.else as { actions?: unknown } | undefined)?.actions) ||
      Object.values((a.cases as Record<string, { actions?: unknown }> | undefined) ?? {}).some((c) =>
        hasResponseAction(c.actions),
      ) ||
      hasResponseAction((a.default as { actions?: unknown } | undefined)?.actions),
  );
}

export async function checkReadiness(plan: Plan, control: LogicAppsControl): Promise<ReadinessReport> {
  const observed = await observePlan(plan, control);
  const checks: ReadinessCheck[] = [];
  const seen = (t: WorkflowTarget): Observed => observed.get(observationKey(t))!;

  for (const entry of plan.workflows) {
    const add = (check: ReadinessCheck['check'], status: CheckStatus, detail: string) =>
      checks.push({ entry: entry.name, check, status, detail });
    const targets = entryTargets(plan, entry);
    const problems = targets.flatMap((t) => {
      const o = seen(t).observation;
      if (!o.reachable) return [`${t.label}: ARM did not answer (${o.error})`];
      if (o.exists === false) return [`${t.label}: not found`];
      if (o.error) return [`${t.label}: ARM answered with an error (${o.error})`];
      return [];
    });
    add(
      'exists',
      problems.length ? 'fail' : 'ok',
      problems.length ? problems.join('; ') : `${targets.length} workflows found`,
    );
    if (problems.length) continue;

    const wrongState = targets.filter((t) => seen(t).info!.state !== normalState(entry, t));
    add(
      'state',
      wrongState.length ? 'fail' : 'ok',
      wrongState.length
        ? wrongState
            .map((t) => `${t.label} is ${seen(t).info!.state}, expected ${normalState(entry, t)}`)
            .join('; ')
        : targets.map((t) => `${t.label} ${seen(t).info!.state}`).join(', '),
    );

    const drift = twinPairs(plan, entry).flatMap(([a, b, ignoreRecurrence]) => {
      const da = seen(a).info!.definition;
      const db = seen(b).info!.definition;
      if (!da || !db) return [];
      const paths = jsonDiff(
        normaliseDefinition(da, ignoreRecurrence),
        normaliseDefinition(db, ignoreRecurrence),
      );
      return paths.length ? [`${a.label} vs ${b.label} differ at ${paths.join(', ')}`] : [];
    });
    add(
      'drift',
      drift.length ? 'fail' : 'ok',
      drift.length ? drift.join('; ') : 'definitions match (parameters and connection ids aside)',
    );

    const foreign = targets.flatMap((t) =>
      connectionLocations(seen(t).info!)
        .filter((c) => normaliseLocation(c.location) !== normaliseLocation(plan[t.region].location))
        .map(
          (c) => `${t.label} uses connection "${c.name}" in ${c.location}, not ${plan[t.region].location}`,
        ),
    );
    add(
      'connections',
      foreign.length ? 'fail' : 'ok',
      foreign.length ? foreign.join('; ') : 'API connections are in their own regions',
    );

    const accounts = targets
      .map((t) => seen(t).info!.integrationAccountId)
      .filter((id): id is string => id !== undefined);
    const shared = accounts.length !== new Set(accounts.map((a) => a.toLowerCase())).size;
    if (accounts.length) {
      add(
        'integration-account',
        shared ? 'fail' : 'ok',
        shared
          ? 'both regions use the same integration account: it would fail with the primary region'
          : 'each region uses its own integration account',
      );
    }

    if (!entry.trigger) {
      const live = classifyDefinition(
        seen(targets.find((t) => t.region === 'secondary')!).info!.definition ?? {},
        entry.name,
      );
      const refused = live
        .map((t) => ({
          t,
          verdict: allowedRoles({
            ...t,
            stateSide: entry.stateSide ?? t.stateSide,
            ordered: entry.ordered,
            sessions: entry.sessions ?? t.sessions,
          }),
        }))
        .filter(({ t, verdict }) =>
          entry.role === 'split-recurrence' ? t.kind !== 'recurrence' : !verdict.allowed.includes(entry.role),
        );
      add(
        'trigger-rules',
        refused.length ? 'fail' : 'ok',
        refused.length
          ? refused
              .map(
                ({ t, verdict }) =>
                  `trigger "${t.name}" (${t.kind}) does not allow ${entry.role}: ${verdict.reason}`,
              )
              .join('; ')
          : `live triggers (${live.map((t) => t.kind).join(', ') || 'none'}) allow ${entry.role}`,
      );
    }
  }

  // Whole-estate safety in normal operation: nothing double-runs, every split slot is covered.
  const stateOf = (t: WorkflowTarget) => {
    const o = seen(t).observation;
    return 'state' in o
      ? { state: o.state, ...(o.recurrence !== undefined ? { recurrence: o.recurrence } : {}) }
      : ('unknown' as const);
  };
  for (const v of [...overlapViolations(plan, stateOf), ...coverageViolations(plan, stateOf, 'primary')]) {
    checks.push({ entry: v.entry, check: 'schedule', status: 'fail', detail: `${v.message} [${v.rule}]` });
  }

  checks.push(await checkHealthWorkflow(plan, control));
  return { plan: plan.id, ready: checks.every((c) => c.status !== 'fail'), checks };
}

async function checkHealthWorkflow(plan: Plan, control: LogicAppsControl): Promise<ReadinessCheck> {
  const hc = plan.healthCheck;
  const base = { entry: '(health check)', check: 'health-check' as const };
  if (hc.workflow === undefined || hc.trigger === undefined) {
    return {
      ...base,
      status: 'skip',
      detail: `probes the URL in app setting ${hc.urlSetting}; set it in the Function App`,
    };
  }
  const label =
    typeof hc.workflow === 'string'
      ? hc.workflow.split('/').pop()!
      : `${hc.workflow.site}/${hc.workflow.workflow}`;
  const target: WorkflowTarget = {
    region: 'primary',
    ref: hc.workflow,
    key: label,
    label: `primary:${label}`,
  };
  const o = await observeTarget(plan, control, target);
  if (!o.info)
    return {
      ...base,
      status: 'fail',
      detail: `${target.label}: ${'error' in o.observation ? o.observation.error : 'not found'}`,
    };
  const trigger = (o.info.definition?.triggers as Record<string, { type?: string }> | undefined)?.[
    hc.trigger
  ];
  if (!trigger || !/^Request$/i.test(trigger.type ?? '')) {
    return {
      ...base,
      status: 'fail',
      detail: `${target.label} has no Request trigger named "${hc.trigger}"`,
    };
  }
  if (!hasResponseAction(o.info.definition?.actions)) {
    return {
      ...base,
      status: 'fail',
      detail: `${target.label} has no Response action: probes would get 202 without a health answer`,
    };
  }
  if (o.info.state !== 'Enabled')
    return { ...base, status: 'fail', detail: `${target.label} is ${o.info.state}` };
  return {
    ...base,
    status: 'ok',
    detail: `${target.label}: Request trigger "${hc.trigger}" answered by a Response action`,
  };
}
