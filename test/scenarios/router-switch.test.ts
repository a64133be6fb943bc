/**
 * The router switch end to end: callers send requests "through" the simulated router (its data plane: where
 * it sends a call now, then the call itself to that region's Logic Apps runtime) all along a failover and a
 * failback, and each request's fate is recorded: which region's workflow ran it, or why none did.
 */
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../src/durable/contracts';
import { fateLine, routerCaller, type RouterCaller } from '../../local/sim/router-call';
import { simulatorConnection } from '../../local/sim/arm';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import type { Plan, Router } from '../../src/plan/schema';
import { estatePerTest, type Estate } from '../support/estate';

const MIN = 60_000;
const estates = estatePerTest();

const APIM: Router = {
  apiManagement: {
    subscriptionId: '6f1c2a4e-3b7d-4c59-9a0e-2d8f5b1c7e93',
    resourceGroup: 'rg-orders-edge',
    service: 'apim-orders',
    backend: 'orders-api',
    trigger: 'manual',
    signature: 'backend-credentials',
  },
};
const FRONT_DOOR: Router = {
  frontDoor: {
    subscriptionId: '6f1c2a4e-3b7d-4c59-9a0e-2d8f5b1c7e93',
    resourceGroup: 'rg-orders-edge',
    profile: 'afd-orders',
    originGroup: 'orders-api',
    origins: { westeurope: 'orders-weu', northeurope: 'orders-neu' },
  },
};
/** orders-api (active-active, Request) behind the router; the other entries as the example plan has them. */
const withRouter =
  (router: Router) =>
  (plan: Plan): Plan => ({
    ...plan,
    workflows: plan.workflows.map((w) => (w.name === 'orders-api' ? { ...w, router } : w)),
  });

type Fate = { at: number; outcome: string };

/** One request through orders-api's router (local/sim/router-call): `ran:<region>`, `refused:<status> <region>`, `unreachable <region>`, `nowhere`. */
const callers = new WeakMap<Estate, RouterCaller>();
async function send(e: Estate): Promise<string> {
  let caller = callers.get(e);
  if (!caller)
    callers.set(
      e,
      (caller = routerCaller(e.sim, e.plan, createArmLogicAppsControl(simulatorConnection(e.sim)))),
    );
  return fateLine(await caller.send('orders-api'));
}

/** Advances in steps, sending one request through the router at each, until `done` (or `limitMs`). */
async function trafficUntil(e: Estate, done: () => boolean, limitMs: number, stepMs = 5_000) {
  const fates: Fate[] = [];
  for (let waited = 0; waited < limitMs; waited += stepMs) {
    fates.push({ at: e.host.clock.now(), outcome: await send(e) });
    if (done()) break;
    await e.advance(stepMs, stepMs);
  }
  expect(done()).toBe(true);
  // And a few more once it is over.
  for (let i = 0; i < 3; i++) {
    await e.advance(stepMs, stepMs);
    fates.push({ at: e.host.clock.now(), outcome: await send(e) });
  }
  return fates;
}

const operation = (e: Estate, direction: 'failover' | 'failback') =>
  e.operations().find((o) => o.output?.request.direction === direction && o.runtimeStatus === 'Completed')
    ?.output;
const switchedAt = (op: OperationRecord) => {
  const step = op.entries.flatMap((x) => x.steps).find((s) => s.action.op === 'switch-router');
  expect(step?.status).toBe('done');
  return Date.parse(step!.at);
};

function failback(e: Estate) {
  e.requestOperation('failback-1', {
    direction: 'failback',
    kind: 'planned',
    trigger: 'manual',
    caller: { by: 'ops@contoso', reason: 'primary healthy again' },
    override: [],
  });
}

describe.each([
  ['API Management', APIM],
  ['Front Door', FRONT_DOOR],
])('traffic through %s follows the failover and the failback', (_, router) => {
  it('after the switch every request runs in the secondary; during the failback none fails', async () => {
    const e = await estates.start({ planPatch: withRouter(router) });
    await e.advance(2 * MIN);
    expect(await send(e)).toBe('ran:westeurope');

    // The primary region goes down: the failover fences what it can, enables, then switches the router.
    e.outage('westeurope', { kind: 'down' });
    const over = await trafficUntil(e, () => operation(e, 'failover') !== undefined, 30 * MIN);
    const failover = operation(e, 'failover')!;
    expect(failover.status).toBe('succeeded'); // Its fences pending, applied when the region returns.
    const steps = failover.entries.find((x) => x.entry === 'orders-api')!.steps;
    expect(steps.map((s) => `${s.action.op} ${s.action.target.label} ${s.status}`)).toEqual([
      'pending-fence primary:orders-api pending-fence',
      'enable secondary:orders-api noop',
      'switch-router secondary:orders-api done',
    ]);
    const switched = switchedAt(failover);
    const after = over.filter((f) => f.at > switched).map((f) => f.outcome);
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after)).toEqual(new Set(['ran:northeurope']));
    // Before the switch the router still sent calls to the dead primary; never nowhere.
    expect(over.filter((f) => f.at <= switched).map((f) => f.outcome)).not.toContain('nowhere');
    expect(failover.readBack.slice(1).flatMap((r) => r.mismatches)).toEqual([]);

    // The region returns; the failback restores the primary, switches back, then stands the secondary down.
    await e.restore('westeurope');
    await e.advance(5 * MIN);
    failback(e);
    const back = await trafficUntil(e, () => operation(e, 'failback') !== undefined, 2 * 60 * MIN, 10_000);
    const failbackOp = operation(e, 'failback')!;
    expect(failbackOp.status).toBe('succeeded');
    const order = failbackOp.entries
      .find((x) => x.entry === 'orders-api')!
      .steps.map((s) => `${s.action.op} ${s.action.target.label}`);
    expect(order).toEqual(['enable primary:orders-api', 'switch-router primary:orders-api']);
    const switchedBack = switchedAt(failbackOp);
    // Not one request failed during the failback, and after its switch every one ran in the primary.
    expect(back.map((f) => f.outcome).filter((o) => !o.startsWith('ran:'))).toEqual([]);
    expect(new Set(back.filter((f) => f.at > switchedBack).map((f) => f.outcome))).toEqual(
      new Set(['ran:westeurope']),
    );
    expect(await send(e)).toBe('ran:westeurope');
  });
});

describe('a switch left pending by a silent router is made by the monitor', () => {
  it('Front Door silent during the failover: pending-switch; once it answers, switched at the next probe cycle', async () => {
    const e = await estates.start({ planPatch: withRouter(FRONT_DOOR) });
    await e.advance(2 * MIN);
    expect(await send(e)).toBe('ran:westeurope');
    // The primary region and Front Door's (global) ARM go silent together.
    e.outage('westeurope', { kind: 'down', mode: 'refused' });
    e.outage('global', { kind: 'down', mode: 'refused' });
    const over = await trafficUntil(e, () => operation(e, 'failover') !== undefined, 30 * MIN);
    const failover = operation(e, 'failover')!;
    expect(failover.status).toBe('completed-with-errors');
    const steps = failover.entries.find((x) => x.entry === 'orders-api')!.steps;
    expect(steps.map((s) => `${s.action.op} ${s.action.target.label} ${s.status}`)).toEqual([
      'pending-fence primary:orders-api pending-fence',
      'enable secondary:orders-api noop',
      'pending-switch secondary:orders-api pending-switch',
    ]);
    expect(failover.pendingSwitches?.map((s) => `${s.router.label} -> ${s.target.label}`)).toEqual([
      'frontDoor afd-orders/originGroups/orders-api -> secondary:orders-api',
    ]);
    // Callers are still sent to the dead primary: no request was routed nowhere, none reached the secondary.
    expect(new Set(over.map((f) => f.outcome))).toEqual(new Set(['unreachable westeurope']));
    await e.advance(2 * MIN);
    expect(e.monitor().pendingSwitches?.map((s) => s.target.label)).toEqual(['secondary:orders-api']);
    expect(await send(e)).toBe('unreachable westeurope');

    // Front Door answers again: the next probe cycle makes the switch, and status no longer lists it.
    await e.restore('global');
    const interval = e.monitor().probeIntervalMs!;
    await e.advance(interval + 5_000, 5_000);
    expect(e.monitor().pendingSwitches).toEqual([]);
    expect(e.monitor().lastCycle).toBeDefined();
    expect(await send(e)).toBe('ran:northeurope');
  });
});
