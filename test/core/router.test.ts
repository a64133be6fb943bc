// The router switch in the plan rules, the planner, verify and the entry gate (all pure).
import { describe, expect, it } from 'vitest';
import { gateRouterStep, switchesLeftPending, type StepSoFar } from '../../src/core/entry-gate';
import { planOperation, type Observe, type PlannedAction } from '../../src/core/planner';
import { routedRegion, routerTarget, type RouterObservation } from '../../src/core/routers';
import { unmetRouting } from '../../src/core/verify';
import type { Plan } from '../../src/plan/schema';
import { validatePlan } from '../../src/plan/validate';
import { minimalPlan, PRIMARY_SUB } from '../support/plans';

const APIM = {
  apiManagement: {
    subscriptionId: PRIMARY_SUB,
    resourceGroup: 'rg-edge',
    service: 'apim-orders',
    backend: 'orders-la',
    trigger: 'manual',
  },
};
const FRONT_DOOR = {
  frontDoor: {
    subscriptionId: PRIMARY_SUB,
    resourceGroup: 'rg-edge',
    profile: 'afd',
    originGroup: 'orders',
    origins: { westeurope: 'orders-weu', 'North Europe': 'orders-neu' },
  },
};
const TRAFFIC_MANAGER = {
  trafficManager: {
    subscriptionId: PRIMARY_SUB,
    resourceGroup: 'rg-edge',
    profile: 'tm-orders',
    endpoints: { westeurope: 'weu', northeurope: 'neu' },
  },
};

function withEntries(...entries: Record<string, unknown>[]) {
  const plan: Record<string, unknown> = minimalPlan();
  plan.workflows = entries.map((e, i) => ({
    name: `orders-${i}`,
    role: 'active-passive',
    trigger: 'request',
    primary: `orders-${i}`,
    secondary: `orders-${i}`,
    ...e,
  }));
  return validatePlan(plan);
}

const loaded = (...entries: Record<string, unknown>[]): Plan => {
  const { plan, issues } = withEntries(...entries);
  if (!plan) throw new Error(JSON.stringify(issues));
  return plan;
};

describe('plan rules', () => {
  it('loads an active-passive Request entry without a router with a warning naming the entry', () => {
    const { plan, warnings } = withEntries({});
    expect(plan).toBeDefined();
    expect(warnings).toEqual([
      expect.objectContaining({ rule: 'request-without-router', entry: 'orders-0', path: ['workflows', 0] }),
    ]);
    expect(warnings[0]!.message).toMatch(/workflow "orders-0".*callers keep calling the primary/);
  });

  it('gives no warning once the entry has a router (any of the three kinds)', () => {
    for (const router of [APIM, FRONT_DOOR, TRAFFIC_MANAGER]) {
      const { plan, warnings, issues } = withEntries({ router });
      expect(issues).toEqual([]);
      expect(plan).toBeDefined();
      expect(warnings).toEqual([]);
    }
  });

  it('refuses Front Door origins and Traffic Manager endpoints that do not map to the two regions', () => {
    const wrong = { westeurope: 'weu', eastus: 'eus' };
    for (const router of [
      { frontDoor: { ...FRONT_DOOR.frontDoor, origins: wrong } },
      { trafficManager: { ...TRAFFIC_MANAGER.trafficManager, endpoints: wrong } },
      { trafficManager: { ...TRAFFIC_MANAGER.trafficManager, endpoints: { westeurope: 'weu' } } },
      {
        trafficManager: {
          ...TRAFFIC_MANAGER.trafficManager,
          endpoints: { westeurope: 'x', northeurope: 'X' },
        },
      },
    ]) {
      const { plan, issues } = withEntries({ router });
      expect(plan).toBeUndefined();
      expect(issues.map((i) => i.rule)).toEqual(['router-regions']);
    }
    const [issue] = withEntries({
      router: { frontDoor: { ...FRONT_DOOR.frontDoor, origins: wrong } },
    }).issues;
    expect(issue!.message).toContain('none for northeurope; eastus is neither region');
    expect(issue!.path).toEqual(['workflows', 0, 'router', 'frontDoor', 'origins']);
  });

  it('refuses an APIM router without exactly one of backend or api, an api without a secret named value, and Standard sides', () => {
    const rules = (router: unknown, extra: Record<string, unknown> = {}) =>
      withEntries({ router, ...extra }).issues.map((i) => i.rule);
    const { backend: _b, ...noTarget } = APIM.apiManagement;
    expect(rules({ apiManagement: noTarget })).toEqual(['router-target']);
    // Both targets, and an api whose sig would have nowhere secret to go.
    expect(rules({ apiManagement: { ...APIM.apiManagement, api: 'orders' } })).toEqual([
      'router-target',
      'router-target',
    ]);
    expect(rules({ apiManagement: { ...noTarget, api: 'orders' } })).toEqual(['router-target']);
    const perRegion = { namedValues: { westeurope: 'sig-weu', 'North Europe': 'sig-neu' } };
    expect(rules({ apiManagement: { ...noTarget, api: 'orders', signature: perRegion } })).toEqual([]);
    expect(rules(APIM, { primary: { site: 'la-weu', workflow: 'orders' } })).toContain('router-target');
  });

  it("refuses one named value for both regions' sig, naming the 401 window and the per-region fix", () => {
    const { issues } = withEntries({
      router: { apiManagement: { ...APIM.apiManagement, signature: { namedValue: 'orders-sig' } } },
    });
    expect(issues.map((i) => i.rule)).toEqual(['router-signature']);
    expect(issues[0]!.path).toEqual(['workflows', 0, 'router', 'apiManagement', 'signature', 'namedValue']);
    expect(issues[0]!.message).toContain('one named value ("orders-sig") holds the sig for both regions');
    expect(issues[0]!.message).toContain('refused 401');
    expect(issues[0]!.fix).toContain(
      '"namedValues": { "westeurope": "orders-la-sig-westeurope", "northeurope": "orders-la-sig-northeurope" }',
    );
  });

  it('refuses the single named value by name even beside namedValues (not a generic shape error)', () => {
    const namedValues = { westeurope: 'sig-weu', northeurope: 'sig-neu' };
    const { issues } = withEntries({
      router: { apiManagement: { ...APIM.apiManagement, signature: { namedValue: 'sig', namedValues } } },
    });
    expect(issues.map((i) => [i.rule, i.path.at(-1)])).toEqual([['router-signature', 'namedValue']]);
  });

  it('refuses sig named values that do not map to the two regions, name one twice, or break APIM naming', () => {
    const issuesOf = (namedValues: Record<string, string>) =>
      withEntries({ router: { apiManagement: { ...APIM.apiManagement, signature: { namedValues } } } })
        .issues;
    expect(issuesOf({ westeurope: 'sig-weu', northeurope: 'sig-neu' })).toEqual([]);
    const [missing] = issuesOf({ westeurope: 'sig-weu', eastus: 'sig-eus' });
    expect(missing).toMatchObject({
      rule: 'router-signature',
      path: ['workflows', 0, 'router', 'apiManagement', 'signature', 'namedValues'],
    });
    expect(missing!.message).toContain('none for northeurope; eastus is neither region');
    const [twice] = issuesOf({ westeurope: 'sig', northeurope: 'SIG' });
    expect(twice!.message).toContain(
      'the same named value "sig" for both regions: each region needs its own sig',
    );
    const [badName] = issuesOf({ westeurope: 'sig weu', northeurope: 'sig-neu' });
    expect(badName).toMatchObject({
      rule: 'router-signature',
      path: ['workflows', 0, 'router', 'apiManagement', 'signature', 'namedValues', 'westeurope'],
    });
    expect(badName!.message).toContain('named value "sig weu" is not a name API Management accepts');
  });

  it('refuses a router on an entry that is not Request-triggered', () => {
    const { issues } = withEntries({ router: APIM, trigger: 'webhook' });
    expect(issues.map((i) => i.rule)).toEqual(['router-needs-request']);
  });

  it('refuses two entries switching the same backend, and allows one service fronting two backends', () => {
    const { issues } = withEntries({ router: APIM }, { router: APIM });
    expect(issues.map((i) => [i.rule, i.entry])).toEqual([['router-switch-shared', 'orders-1']]);
    const other = { apiManagement: { ...APIM.apiManagement, backend: 'invoices-la' } };
    expect(withEntries({ router: APIM }, { router: other }).issues).toEqual([]);
  });
});

const enabled: Observe = (t) => ({ reachable: true, state: t.region === 'primary' ? 'Enabled' : 'Disabled' });
const steps = (
  plan: Plan,
  direction: 'failover' | 'failback',
  observe: Observe,
  router?: RouterObservation,
) =>
  planOperation(plan, direction, observe, 'emergency', { observeRouter: () => router }).groups[0]!.entries[0]!
    .steps;
const brief = (s: PlannedAction) => `${s.op} ${s.target.label}`;

describe('planner: the switch is a step', () => {
  const plan = loaded({ router: FRONT_DOOR });

  it('failover: fence the primary, enable the secondary, then switch the router to the secondary', () => {
    expect(steps(plan, 'failover', enabled).map(brief)).toEqual([
      'disable primary:orders-0',
      'enable secondary:orders-0',
      'switch-router secondary:orders-0',
    ]);
  });

  it('failback: enable the primary, switch the router back, then disable the secondary', () => {
    const failedOver: Observe = (t) => ({
      reachable: true,
      state: t.region === 'primary' ? 'Disabled' : 'Enabled',
    });
    expect(steps(plan, 'failback', failedOver).map(brief)).toEqual([
      'enable primary:orders-0',
      'switch-router primary:orders-0',
      'disable secondary:orders-0',
    ]);
  });

  it('is a no-op when the router already sends calls there exactly, a write otherwise, and pending when its ARM is silent', () => {
    const at = (pointsAt: 'primary' | 'secondary', exact = true): RouterObservation => ({
      reachable: true,
      seen: { pointsAt, exact, detail: 'x' },
    });
    const switchOf = (o: RouterObservation | undefined) => steps(plan, 'failover', enabled, o).at(-1)!;
    expect(switchOf(at('secondary'))).toMatchObject({ op: 'switch-router', noop: true, to: 'secondary' });
    expect(switchOf(at('secondary', false))).toMatchObject({ op: 'switch-router', noop: false });
    expect(switchOf(at('primary'))).toMatchObject({ op: 'switch-router', noop: false, observed: 'x' });
    expect(switchOf({ reachable: false, error: 'no answer' })).toMatchObject({
      op: 'pending-switch',
      error: 'no answer',
    });
  });

  it('entries without a router get no switch', () => {
    const plain = loaded({});
    expect(steps(plain, 'failover', enabled).map((s) => s.op)).toEqual(['disable', 'enable']);
  });
});

describe('where a router sends calls (routedRegion) and read-back (unmetRouting)', () => {
  const plan = loaded({ router: FRONT_DOOR });
  const target = routerTarget(plan, plan.workflows[0]!.router!);

  it('maps origins to regions by location, whatever the spelling', () => {
    expect(target.endpoints).toEqual({ primary: 'orders-weu', secondary: 'orders-neu' });
  });

  it('Front Door / Traffic Manager: the best enabled endpoint; exact only when the other is disabled', () => {
    const reading = (weu: boolean, neu: boolean, p = 1, s = 2) => ({
      kind: 'frontDoor' as const,
      endpoints: { 'orders-weu': { enabled: weu, priority: p }, 'orders-neu': { enabled: neu, priority: s } },
    });
    expect(routedRegion(target, reading(true, false), {})).toMatchObject({
      pointsAt: 'primary',
      exact: true,
    });
    expect(routedRegion(target, reading(true, true), {})).toMatchObject({
      pointsAt: 'primary',
      exact: false,
    });
    expect(routedRegion(target, reading(true, true, 2, 1), {})).toMatchObject({ pointsAt: 'secondary' });
    const nowhere = routedRegion(target, reading(false, false), {});
    expect(nowhere.pointsAt).toBeUndefined();
    expect(unmetRouting({ to: 'secondary' }, nowhere)).toMatch(/sends calls to neither region.*nowhere/);
    expect(unmetRouting({ to: 'primary' }, routedRegion(target, reading(true, false), {}))).toBeUndefined();
  });

  it('APIM: the region whose callback URL it has; a regenerated signature is seen as stale', () => {
    const apimPlan = loaded({ router: APIM });
    const apim = routerTarget(apimPlan, apimPlan.workflows[0]!.router!);
    const cb = (host: string, sig: string) => ({
      basePath: `https://${host}/workflows/1/triggers/manual/paths/invoke`,
      queries: { 'api-version': '2016-10-01', sp: '/triggers/manual/run', sv: '1.0', sig },
    });
    const callbacks = { primary: cb('weu', 'p-sig'), secondary: cb('neu', 's-sig') };
    const reading = (url: string, sig: string) => ({
      kind: 'apiManagement' as const,
      url,
      query: { 'api-version': '2016-10-01', sp: '/triggers/manual/run', sv: '1.0' },
      signature: sig,
      locations: ['westeurope'],
    });
    expect(routedRegion(apim, reading(callbacks.secondary.basePath, 's-sig'), callbacks)).toMatchObject({
      pointsAt: 'secondary',
      exact: true,
    });
    const stale = routedRegion(apim, reading(callbacks.secondary.basePath, 'old'), callbacks);
    expect(stale).toMatchObject({ pointsAt: 'secondary', exact: false });
    expect(stale.detail).not.toContain('s-sig');
    expect(routedRegion(apim, reading('https://elsewhere', 'x'), callbacks).pointsAt).toBeUndefined();
  });
});

describe('entry gate: never route to a disabled workflow, never disable what callers are sent to', () => {
  const plan = loaded({ router: FRONT_DOOR });
  const failback = steps(plan, 'failback', (t) => ({
    reachable: true,
    state: t.region === 'primary' ? 'Disabled' : 'Enabled',
  }));
  const [restore, switchBack, standDown] = failback as [PlannedAction, PlannedAction, PlannedAction];

  it('blocks the switch when the activation of its workflow did not happen', () => {
    for (const status of ['failed', 'blocked', 'missing']) {
      const gate = gateRouterStep(switchBack, [{ action: restore, status }]);
      expect(gate).toMatchObject({ run: false });
      expect(gate.run ? '' : gate.blocked).toContain(`its enable step is ${status}`);
    }
    expect(gateRouterStep(switchBack, [{ action: restore, status: 'noop' }])).toEqual({ run: true });
  });

  const pendingBack: PlannedAction = {
    ...(switchBack as Extract<PlannedAction, { op: 'switch-router' }>),
    op: 'pending-switch',
    why: 'router-unreachable',
    error: 'no answer',
  };

  it('blocks a pending switch too when the activation did not happen: the monitor must not make it later', () => {
    const gate = gateRouterStep(pendingBack, [{ action: restore, status: 'failed' }]);
    expect(gate).toMatchObject({ run: false });
    expect(gate.run ? '' : gate.blocked).toContain('its enable step is failed');
    expect(gateRouterStep(pendingBack, [{ action: restore, status: 'done' }])).toEqual({ run: true });
  });

  it('hands the monitor the pending switches whose workflow was enabled, and no other', () => {
    const left = (status: 'done' | 'noop' | 'failed') =>
      switchesLeftPending([
        { action: restore, status },
        { action: pendingBack, status: 'pending-switch' },
      ]);
    expect(left('done')).toEqual([
      { router: (pendingBack as { router: unknown }).router, target: restore.target, to: 'primary' },
    ]);
    expect(left('noop')).toHaveLength(1);
    expect(left('failed')).toEqual([]);
    expect(switchesLeftPending([{ action: switchBack, status: 'done' }])).toEqual([]);
  });

  it('blocks the stand-down after a switch that failed, was blocked or is pending', () => {
    for (const status of ['failed', 'blocked', 'pending-switch']) {
      const earlier: StepSoFar[] = [
        { action: restore, status: 'done' },
        { action: switchBack, status },
      ];
      expect(gateRouterStep(standDown, earlier)).toMatchObject({ run: false });
    }
    expect(
      gateRouterStep(standDown, [
        { action: restore, status: 'done' },
        { action: switchBack, status: 'done' },
      ]),
    ).toEqual({ run: true });
  });
});
