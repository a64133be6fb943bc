/**
 * Batched actions and read-backs against the ARM simulator, real activities and real SDK: a Standard site's
 * workflows are flipped with ONE app-settings write, a retried activity neither loses nor repeats a change,
 * and read-back lists a resource group instead of reading each workflow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryTargets, type PlannedAction } from '../../src/core/planner';
import type { Plan } from '../../src/plan/schema';
import type { CheckedSimulator } from '../sim/arm/helpers';
import {
  activitiesOnSampleEstate,
  consumptionEntry,
  standardEntry,
  type Activities,
} from '../support/activities';
import { createActivities } from '../../src/activities';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createHealthProbe } from '../../src/adapters/probe';
import { simulatorConnection } from '../../local/sim/arm';

const STANDARD = ['orders', 'billing', 'invoices', 'refunds'];
const CONSUMPTION = Array.from({ length: 30 }, (_, i) => `wf-${i}`);
let sim: CheckedSimulator;
let plan: Plan;
let activities: Activities;

beforeAll(async () => {
  ({ plan, sim, activities } = await activitiesOnSampleEstate([
    ...STANDARD.map(standardEntry),
    ...CONSUMPTION.map(consumptionEntry),
  ]));
});
afterAll(async () => sim?.stop());

const secondary = (names: readonly string[]) =>
  plan.workflows.filter((e) => names.includes(e.name)).map((e) => entryTargets(plan, e)[1]!);
const enable = (names: readonly string[]): PlannedAction[] =>
  secondary(names).map((target) => ({ op: 'enable', target, why: 'activate', noop: false }));
const settingsCalls = () =>
  sim
    .requestLog()
    .filter((e) => e.listener === 'arm' && /\/sites\/la-std-neu\/config\/appsettings/i.test(e.path))
    .map((e) => `${e.method} ${e.path.split('?')[0]!.split('/config/')[1]}`);
const siteStates = () =>
  Object.fromEntries(
    sim
      .workflows()
      .filter((w) => w.site === 'la-std-neu')
      .map((w) => [w.name, w.state]),
  );

describe('Logic Apps Standard: one app-settings write per site', () => {
  it('flips every workflow of a site with one read and one write of its settings', async () => {
    expect(Object.values(siteStates())).toEqual(STANDARD.map(() => 'Disabled'));
    sim.clearRequestLog();
    const results = await activities.applyActions({ operationId: 'op-1', actions: enable(STANDARD) });
    expect(results).toEqual(STANDARD.map(() => ({ ok: true, changed: true })));
    expect(settingsCalls()).toEqual(['POST appsettings/list', 'PUT appsettings']);
    expect(siteStates()).toEqual(Object.fromEntries(STANDARD.map((n) => [n, 'Enabled'])));
  });

  it('a retried activity (its first answer lost) writes nothing again and reports no change', async () => {
    sim.clearRequestLog();
    const results = await activities.applyActions({ operationId: 'op-1', actions: enable(STANDARD) });
    expect(results).toEqual(STANDARD.map(() => ({ ok: true, changed: false })));
    expect(settingsCalls()).toEqual(['POST appsettings/list']);
    expect(Object.values(siteStates())).toEqual(STANDARD.map(() => 'Enabled'));
  });

  it('a retry after a partial first attempt writes only what is still missing, and keeps what was done', async () => {
    await activities.applyActions({
      operationId: 'op-2',
      actions: secondary(STANDARD).map((target) => ({
        op: 'disable',
        target,
        why: 'stand-down',
        noop: false,
      })),
    });
    // First attempt: two of the four got through before the activity failed.
    await activities.applyActions({ operationId: 'op-3', actions: enable(STANDARD.slice(0, 2)) });
    sim.clearRequestLog();
    // The retry carries the same four actions.
    const results = await activities.applyActions({ operationId: 'op-3', actions: enable(STANDARD) });
    expect(results).toEqual([
      { ok: true, changed: false },
      { ok: true, changed: false },
      { ok: true, changed: true },
      { ok: true, changed: true },
    ]);
    expect(settingsCalls()).toEqual(['POST appsettings/list', 'PUT appsettings']);
    expect(Object.values(siteStates())).toEqual(STANDARD.map(() => 'Enabled'));
  });

  it('a transient failure comes back as transient (for the orchestration to retry), not as a thrown batch', async () => {
    sim.outage('northeurope', { kind: 'errors', rate: 1, statuses: [503] });
    try {
      const results = await activities.applyActions({
        operationId: 'op-4',
        actions: [...enable(['orders']), ...enable(['wf-0'])],
      });
      expect(results).toEqual([
        expect.objectContaining({ ok: false, transient: true }),
        expect.objectContaining({ ok: false, transient: true }),
      ]);
    } finally {
      sim.restore('northeurope');
      await sim.settle();
    }
  });
});

describe('read-back of workflows that share a resource group or a site', () => {
  it('reads a resource group with its list pages and a site with one settings read, not one read each', async () => {
    await activities.applyActions({ operationId: 'op-5', actions: enable([...STANDARD, ...CONSUMPTION]) });
    sim.clearRequestLog();
    const report = await activities.readBack({
      direction: 'failover',
      group: 0,
      entries: [...STANDARD, ...CONSUMPTION],
      // The primary's fences are left pending: its region is not read again.
      pending: plan.workflows.map((e) => `primary:${entryTargets(plan, e)[0]!.key}`),
    });
    expect(report.mismatches).toEqual([]);
    const reads = sim
      .requestLog()
      .filter((e) => e.listener === 'arm')
      .map(
        (e) => `${e.method} ${e.path.split('?')[0]!.replace(/^.*\/resourceGroups\/[^/]+\/providers\//, '')}`,
      );
    expect(reads.sort()).toEqual(
      [
        'GET Microsoft.Logic/workflows',
        'GET Microsoft.Web/sites/la-std-neu',
        'POST Microsoft.Web/sites/la-std-neu/config/appsettings/list',
      ].sort(),
    );
  });
});

describe('a failure that is not an ARM answer', () => {
  it('fails the activity (a bug surfaces) instead of becoming a failed step in the audit', async () => {
    const real = createArmLogicAppsControl({ ...simulatorConnection(sim), maxRetries: 0 });
    // The adapter throws only ARM's classified answers; this stands in for a bug behind the port.
    const bug = new TypeError("Cannot read properties of undefined (reading 'properties')");
    const control = new Proxy(real, {
      get: (target, name, receiver) =>
        name === 'setState' || name === 'setSiteStates'
          ? () => Promise.reject(bug)
          : Reflect.get(target, name, receiver),
    });
    const broken = createActivities({
      plan,
      control,
      probe: createHealthProbe({ control, plan, settings: {}, ca: sim.caCertPem }),
    });
    await expect(
      broken.applyActions({ operationId: 'op-bug', actions: enable(CONSUMPTION.slice(0, 1)) }),
    ).rejects.toBe(bug);
    await expect(broken.applyActions({ operationId: 'op-bug', actions: enable(STANDARD) })).rejects.toBe(bug);
    const [fence] = secondary(CONSUMPTION.slice(0, 1));
    await expect(broken.applyPendingFences([fence!])).rejects.toBe(bug);
  });
});
