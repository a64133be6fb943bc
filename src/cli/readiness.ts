/**
 * `dr ready`: is the estate ready to fail over? Reads both regions through ARM and checks, per plan entry,
 * that the workflows exist in their sides' regions, are in their normal-operation states, have not drifted
 * apart, use connections and integration accounts in their own region, that live triggers allow the roles,
 * and that the health-check workflow can answer probes; and lists the primary's runs in flight.
 */
import { ArmTerminalError, isArmFailure } from '../adapters/arm/errors';
import { targetKey } from '../core/refs';
import { checkLiveTriggerRules } from '../core/live-rules';
import { entryTargets, normalState, type WorkflowTarget } from '../core/planner';
import { coverageViolations, overlapViolations } from '../core/safety';
import { linkedGrantsNeeded } from '../core/linked-resources';
import { normaliseLocation } from '../core/plan-rules';
import type { IntegrationAccounts } from '../adapters/logicapps/integration-accounts';
import type { LogicAppsControl, RunInfo, WorkflowInfo } from '../adapters/logicapps/port';
import type { Plan, WorkflowEntry } from '../plan/schema';
import { locatorFor } from '../estate/locate';
import { observePlan, observeTarget, type Observed } from '../estate/observe';
import { routerReadiness } from '../estate/routers';
import type { RouterControl } from '../adapters/routers/port';

/**
 * `unread`: what the check needed could not be read (ARM did not answer, or answered with an error): no
 * answer either way, which `dr ready` must not report as "not ready".
 */
export type CheckStatus = 'ok' | 'fail' | 'skip' | 'unread';

export interface ReadinessCheck {
  entry: string;
  check:
    | 'exists'
    | 'location'
    | 'state'
    | 'drift'
    | 'connections'
    | 'integration-account'
    | 'linked-access'
    | 'trigger-rules'
    | 'schedule'
    | 'health-check'
    | 'router';
  status: CheckStatus;
  detail: string;
}

/** Runs in progress in one primary workflow: what a regional loss right now would abandon. */
export interface LostRuns {
  entry: string;
  workflow: string;
  status: 'listed' | 'unsupported' | 'unreadable';
  runs: RunInfo[];
  detail?: string;
}

export interface ReadinessReport {
  plan: string;
  /** Every check read and none failed. */
  ready: boolean;
  /** How many checks could not be read (status `unread`): when any, the answer is neither ready nor not. */
  unread: number;
  checks: ReadinessCheck[];
  lostRuns: LostRuns[];
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
  return Object.entries(connectionsOf(info)).flatMap(([name, c]) => {
    const m = /\/locations\/([^/]+)\/managedApis\//i.exec(c.id ?? '');
    return m ? [{ name, location: m[1]! }] : [];
  });
}

const connectionsOf = (info: WorkflowInfo): Record<string, { id?: string; connectionId?: string }> =>
  (
    info.parameters?.$connections as
      { value?: Record<string, { id?: string; connectionId?: string }> } | undefined
  )?.value ?? {};

/**
 * Connections whose `connectionId` (the API connection resource) lies in the other region's resource group:
 * a template copied from the primary keeps the managed API id right and the connection resource wrong.
 */
function connectionsInOtherRegion(
  plan: Plan,
  t: WorkflowTarget,
  info: WorkflowInfo,
): { name: string; connectionId: string }[] {
  const other = plan[t.region === 'primary' ? 'secondary' : 'primary'];
  const own = plan[t.region];
  const sameGroup =
    own.subscriptionId.toLowerCase() === other.subscriptionId.toLowerCase() &&
    own.resourceGroup.toLowerCase() === other.resourceGroup.toLowerCase();
  return sameGroup
    ? []
    : Object.entries(connectionsOf(info)).flatMap(([name, c]) => {
        const m =
          /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/connections\//i.exec(
            c.connectionId ?? '',
          );
        return m &&
          m[1]!.toLowerCase() === other.subscriptionId.toLowerCase() &&
          m[2]!.toLowerCase() === other.resourceGroup.toLowerCase()
          ? [{ name, connectionId: c.connectionId! }]
          : [];
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

/** Optional readers beyond the workflow port; a check whose reader is absent reports `skip`, never `ok`. */
export interface ReadinessDeps {
  integrationAccounts?: IntegrationAccounts;
  /** The routers in front of Request triggers (checked when an entry has one). */
  routers?: RouterControl;
}

const isStandardRef = (t: WorkflowTarget) => typeof t.ref !== 'string';

const isRewriteSide = (side: unknown): boolean =>
  typeof side === 'object' &&
  side !== null &&
  'workflow' in side &&
  (side as { mode?: unknown }).mode === 'rewrite';

const STANDARD_SKIP =
  'Logic Apps Standard: the definition and connections.json live in the site’s files, which ARM does not return; compare them in your deployment pipeline';

export async function checkReadiness(
  plan: Plan,
  control: LogicAppsControl,
  deps: ReadinessDeps = {},
): Promise<ReadinessReport> {
  const observed = await observePlan(plan, control);
  const checks: ReadinessCheck[] = [];
  const seen = (t: WorkflowTarget): Observed => observed.get(targetKey(t))!;
  // Entries without a declared trigger: the same rules as at load and before every operation.
  const live = checkLiveTriggerRules(
    plan,
    (t) => seen(t).info,
    (e) => e.trigger === undefined,
  );

  for (const entry of plan.workflows) {
    const add = (check: ReadinessCheck['check'], status: CheckStatus, detail: string) =>
      checks.push({ entry: entry.name, check, status, detail });
    const targets = entryTargets(plan, entry);
    const missing = targets.flatMap((t) => {
      const o = seen(t).observation;
      return o.reachable && o.exists === false ? [`${t.label}: not found`] : [];
    });
    const unread = targets.flatMap((t) => {
      const o = seen(t).observation;
      if (!o.reachable) return [`${t.label}: ARM did not answer (${o.error})`];
      if ('error' in o && o.error) return [`${t.label}: ARM answered with an error (${o.error})`];
      return [];
    });
    if (missing.length) add('exists', 'fail', missing.join('; '));
    if (unread.length) add('exists', 'unread', unread.join('; '));
    if (missing.length || unread.length) continue;
    add('exists', 'ok', `${targets.length} workflows found`);
    const info = (t: WorkflowTarget): WorkflowInfo => seen(t).info!;

    const misplaced = targets.filter(
      (t) => normaliseLocation(info(t).location) !== normaliseLocation(plan[t.region].location),
    );
    add(
      'location',
      misplaced.length ? 'fail' : 'ok',
      misplaced.length
        ? misplaced
            .map(
              (t) =>
                `${t.label} is in ${info(t).location || 'no region'}, not the ${t.region} region ${plan[t.region].location}`,
            )
            .join('; ')
        : `each workflow is in its side’s region (${[...new Set(targets.map((t) => plan[t.region].location))].join(', ')})`,
    );

    const wrongState = targets.filter((t) => info(t).state !== normalState(entry, t));
    add(
      'state',
      wrongState.length ? 'fail' : 'ok',
      wrongState.length
        ? wrongState
            .map((t) => `${t.label} is ${info(t).state}, expected ${normalState(entry, t)}`)
            .join('; ')
        : targets.map((t) => `${t.label} ${info(t).state}`).join(', '),
    );

    const standard = targets.filter(isStandardRef);
    if (standard.length) {
      const which = standard.map((t) => t.label).join(', ');
      add('drift', 'skip', `${which}: ${STANDARD_SKIP}`);
      add('connections', 'skip', `${which}: ${STANDARD_SKIP}`);
    } else {
      const drift = twinPairs(plan, entry).flatMap(([a, b, ignoreRecurrence]) => {
        const da = info(a).definition;
        const db = info(b).definition;
        if (!da || !db) return [`${!da ? a.label : b.label}: ARM returned no definition to compare`];
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

      const foreign = targets.flatMap((t) => [
        ...connectionLocations(info(t))
          .filter((c) => normaliseLocation(c.location) !== normaliseLocation(plan[t.region].location))
          .map(
            (c) => `${t.label} uses connection "${c.name}" in ${c.location}, not ${plan[t.region].location}`,
          ),
        ...connectionsInOtherRegion(plan, t, info(t)).map(
          (c) =>
            `${t.label} uses connection "${c.name}" through ${c.connectionId}, the ${t.region === 'primary' ? 'secondary' : 'primary'} region's resource group`,
        ),
      ]);
      const count = targets.reduce((n, t) => n + connectionLocations(info(t)).length, 0);
      add(
        'connections',
        foreign.length ? 'fail' : 'ok',
        foreign.length
          ? foreign.join('; ')
          : count
            ? `${count} API connection(s), each in its workflow’s region`
            : 'no API connections',
      );
    }

    const accountCheck = await checkIntegrationAccounts(
      targets.filter((t) => !isStandardRef(t)),
      info,
      deps.integrationAccounts,
    );
    if (accountCheck) add('integration-account', accountCheck.status, accountCheck.detail);

    // A rewrite PUTs the workflow back whole; ARM then checks join/assign on what it links to. Who may do that
    // is not readable here (the control plane's identity is not the caller), so this lists what it needs.
    const rewritten = targets.filter((t) => !isStandardRef(t) && isRewriteSide(entry[t.region]));
    if (rewritten.length) {
      const needed = rewritten.flatMap((t) => {
        const linked = info(t).linked;
        return linked ? linkedGrantsNeeded(linked).map((n) => `${t.label}: ${n.action} on ${n.id}`) : [];
      });
      add(
        'linked-access',
        needed.length ? 'skip' : 'ok',
        needed.length
          ? `not checked: the control plane's identity needs ${needed.join('; ')} (a rewrite PUTs them back: 403 LinkedAuthorizationFailed without). azd provision grants them when the preprovision hook could read the workflow, and warns when it could not: then run azd provision again`
          : 'the rewritten workflows link to no API connection, user-assigned identity or integration account',
      );
    }

    if (entry.trigger === undefined) {
      const issues = live.checked.get(entry.name);
      if (issues === undefined) {
        const why = live.unchecked.find((u) => u.entry === entry.name)?.why ?? 'no definition was read';
        add('trigger-rules', 'skip', `not checked: ${why}`);
      } else {
        const kinds = targets
          .flatMap((t) => {
            const d = info(t).definition;
            return d ? Object.values((d.triggers ?? {}) as Record<string, { type?: string }>) : [];
          })
          .map((t) => t.type ?? '?');
        add(
          'trigger-rules',
          issues.length ? 'fail' : 'ok',
          issues.length
            ? issues.map((i) => `${i.message} [${i.rule}]; fix: ${i.fix}`).join('; ')
            : `live triggers (${[...new Set(kinds)].join(', ') || 'none'}) allow ${entry.role}`,
        );
      }
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
  checks.push(...(await routerReadiness(plan, control, deps.routers)));
  const lostRuns = await runsInFlight(plan, control, seen);
  const unread = checks.filter((c) => c.status === 'unread').length;
  return {
    plan: plan.id,
    ready: unread === 0 && checks.every((c) => c.status !== 'fail'),
    unread,
    checks,
    lostRuns,
  };
}

/** Integration accounts: each in its workflow's region, and never one account shared by both regions. */
async function checkIntegrationAccounts(
  targets: WorkflowTarget[],
  info: (t: WorkflowTarget) => WorkflowInfo,
  reader: IntegrationAccounts | undefined,
): Promise<{ status: CheckStatus; detail: string } | undefined> {
  const using = targets.flatMap((t) => {
    const id = info(t).integrationAccountId;
    return id ? [{ t, id }] : [];
  });
  if (using.length === 0) return undefined;
  const problems: string[] = [];
  const regionsUsing = new Map<string, Set<string>>();
  for (const { t, id } of using) {
    const regions = regionsUsing.get(id.toLowerCase()) ?? new Set<string>();
    regions.add(t.region);
    regionsUsing.set(id.toLowerCase(), regions);
  }
  const shared = [...regionsUsing.entries()].filter(([, r]) => r.size > 1).map(([id]) => id);
  if (shared.length) {
    problems.push(
      `both regions use the same integration account (${shared.map((id) => id.split('/').pop()).join(', ')}): it would fail with the primary region`,
    );
  }
  if (!reader) {
    return problems.length
      ? { status: 'fail', detail: problems.join('; ') }
      : { status: 'skip', detail: 'integration account locations were not read (no ARM reader configured)' };
  }
  const located: string[] = [];
  const unread: string[] = [];
  for (const { t, id } of using) {
    const name = id.split('/').pop();
    try {
      const account = await reader.get(id);
      if (normaliseLocation(account.location) !== normaliseLocation(info(t).location)) {
        problems.push(
          `${t.label} (in ${info(t).location}) uses integration account ${name} in ${account.location || 'no region'}`,
        );
      } else located.push(`${t.label}: ${name} in ${account.location}`);
    } catch (err) {
      if (!isArmFailure(err)) throw err;
      // Not found is an answer (the account is gone); anything else left its location unknown.
      const gone = err instanceof ArmTerminalError && err.status === 404;
      (gone ? problems : unread).push(
        `${t.label}: integration account ${name} could not be read (${err.message})`,
      );
    }
  }
  if (problems.length) return { status: 'fail', detail: [...problems, ...unread].join('; ') };
  if (unread.length) return { status: 'unread', detail: unread.join('; ') };
  return { status: 'ok', detail: `each in its workflow’s region (${located.join(', ')})` };
}

/**
 * The lost-runs report: runs still in progress in the primary, which a regional loss would abandon (nothing
 * replays them in the secondary). Information, not a readiness failure.
 */
async function runsInFlight(
  plan: Plan,
  control: LogicAppsControl,
  seen: (t: WorkflowTarget) => Observed,
): Promise<LostRuns[]> {
  const out: LostRuns[] = [];
  for (const entry of plan.workflows) {
    for (const t of entryTargets(plan, entry).filter((x) => x.region === 'primary')) {
      const base = { entry: entry.name, workflow: t.label };
      if (isStandardRef(t)) {
        out.push({
          ...base,
          status: 'unsupported',
          runs: [],
          detail: 'Logic Apps Standard runs are not listed through ARM; see the site’s run history',
        });
        continue;
      }
      if (!seen(t).info) {
        out.push({ ...base, status: 'unreadable', runs: [], detail: 'the workflow could not be read' });
        continue;
      }
      try {
        const runs = await control.listRunningRuns(locatorFor(plan, t));
        out.push({ ...base, status: 'listed', runs });
      } catch (err) {
        if (!isArmFailure(err)) throw err;
        out.push({ ...base, status: 'unreadable', runs: [], detail: err.message });
      }
    }
  }
  return out;
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
    return 'error' in o.observation
      ? { ...base, status: 'unread', detail: `${target.label}: ${o.observation.error}` }
      : { ...base, status: 'fail', detail: `${target.label}: not found` };
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
