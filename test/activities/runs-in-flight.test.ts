/**
 * The runs in flight in the region an operation leaves, read by the real activity over the real SDK against the
 * ARM simulator (which serves `workflows/{name}/runs?$filter=status eq 'Running'` as the Logic Apps spec says):
 * listed with workflow, region, run id and start, capped with a count of the rest, bounded in time, and a read
 * that fails is recorded, never thrown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/schema';
import { RUNS_IN_FLIGHT_CAP } from '../../src/activities/runs';
import type { CheckedSimulator } from '../sim/arm/helpers';
import {
  activitiesOnSampleEstate,
  consumptionEntry,
  standardEntry,
  type Activities,
} from '../support/activities';

let sim: CheckedSimulator;
let plan: Plan;
let activities: Activities;

beforeAll(async () => {
  ({ plan, sim, activities } = await activitiesOnSampleEstate([
    ...['orders', 'billing'].map(consumptionEntry),
    standardEntry('invoices'),
  ]));
});
afterAll(async () => sim?.stop());

const idOf = (name: string, location: string) =>
  sim.workflows().find((w) => w.name === name && w.region === location)!.id;

describe('listRunsInFlight', () => {
  it('lists the runs in flight in the primary, oldest first, capped with a count of the rest', async () => {
    const first = sim.startLongRun(idOf('orders', plan.primary.location));
    const many = Array.from({ length: RUNS_IN_FLIGHT_CAP + 2 }, () =>
      sim.startLongRun(idOf('billing', plan.primary.location)),
    );
    sim.startLongRun(idOf('orders', plan.secondary.location)); // the other region's: not listed
    try {
      const report = await activities.listRunsInFlight({ region: 'primary' });
      expect(report).toMatchObject({ region: 'primary', location: plan.primary.location, more: 3 });
      expect(report.error).toBeUndefined();
      expect(report.runs).toHaveLength(RUNS_IN_FLIGHT_CAP);
      expect(report.runs[0]).toMatchObject({
        entry: 'orders',
        workflow: 'primary:orders',
        runId: first.name,
      });
      expect(report.runs[0]!.startTime).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(report.runs.filter((r) => r.entry === 'billing').length).toBe(RUNS_IN_FLIGHT_CAP - 1);
      // Standard sites' runs are not listed through ARM: named, not silently dropped.
      expect(report.unlisted).toEqual([
        expect.stringMatching(/^primary:la-std-weu\/invoices: Logic Apps Standard/),
      ]);
    } finally {
      for (const r of [first, ...many]) sim.finishRun(r.id);
    }
  });

  it('a region whose ARM does not answer is recorded as "could not list runs: <why>", never thrown', async () => {
    sim.outage(plan.primary.location, { kind: 'down', mode: 'refused' });
    try {
      const report = await activities.listRunsInFlight({ region: 'primary' });
      expect(report.runs).toEqual([]);
      expect(report.error).toMatch(/^could not list runs: primary:(orders|billing): /);
    } finally {
      sim.restore(plan.primary.location);
    }
  });

  it('is bounded in time: what did not answer within the budget is named', async () => {
    sim.setLatency(1_000);
    try {
      const began = Date.now();
      const report = await activities.listRunsInFlight({ region: 'primary', budgetMs: 200 });
      expect(Date.now() - began).toBeLessThan(900);
      expect(report.error).toMatch(
        /^could not list runs: westeurope \(primary\) did not answer within 0.2 s \(2 workflow\(s\) not listed\)$/,
      );
    } finally {
      sim.setLatency(0);
    }
  });

  it('a region found silent at planning is not asked again', async () => {
    sim.clearRequestLog();
    const report = await activities.listRunsInFlight({
      region: 'primary',
      skip: "the primary's ARM did not answer at planning",
    });
    expect(report.error).toBe("could not list runs: the primary's ARM did not answer at planning");
    expect(sim.requestLog()).toEqual([]);
  });
});
