/**
 * The failover's set-recurrence step against a workflow someone else changed after planning: real activities,
 * real SDK, the ARM simulator. The other writer's change must survive, and the step must say why it stopped.
 */
import { join } from 'node:path';
import { LogicManagementClient } from '@azure/arm-logic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionsInOrder, type PlannedAction } from '../../src/core/planner';
import { loadPlan } from '../../src/plan/load';
import type { Plan } from '../../src/plan/schema';
import { armClientOptionsFor, simulatorCredential } from '../../local/sim/arm';
import { loadEntryDefinitions, sampleEstateSeed } from '../../local/sim/sample-estate';
import { startCheckedSimulator, type CheckedSimulator } from '../sim/arm/helpers';
import { activitiesOn, type Activities } from '../support/activities';

const EXAMPLE_PLAN = join(__dirname, '../../examples/plan.json');
let sim: CheckedSimulator;
let plan: Plan;
let activities: Activities;

beforeAll(async () => {
  plan = loadPlan({ kind: 'file', path: EXAMPLE_PLAN }).plan;
  sim = await startCheckedSimulator({
    now: new Date('2026-03-02T08:00:00Z'),
    seed: sampleEstateSeed(plan, loadEntryDefinitions(plan, EXAMPLE_PLAN)),
  });
  activities = activitiesOn(sim, plan);
});
afterAll(async () => sim?.stop());

type Rewrite = Extract<PlannedAction, { op: 'set-recurrence' }>;

/** The secondary rewrite of the example plan's `nightly-settlement` (split, rewrite mode) in a fresh plan. */
async function plannedRewrite(): Promise<Rewrite> {
  const { plan: op } = await activities.planOperation({ direction: 'failover', kind: 'emergency' });
  const step = actionsInOrder(op).find(
    (a) => a.entry === 'nightly-settlement' && a.action.op === 'set-recurrence',
  )?.action;
  expect(step?.op).toBe('set-recurrence');
  return step as Rewrite;
}

describe('set-recurrence after a concurrent change', () => {
  it('is refused with "changed since planning", keeps the other write, and succeeds once re-planned', async () => {
    const rewrite = await plannedRewrite();
    expect(rewrite.target.label).toBe('secondary:nightly-settlement');
    expect(rewrite.basedOn).toEqual(expect.any(String));

    // Someone deploys a hotfix to the secondary between planning and the step (a new action, same schedule).
    const logic = new LogicManagementClient(
      simulatorCredential,
      plan.secondary.subscriptionId,
      armClientOptionsFor(sim),
    );
    const rg = plan.secondary.resourceGroup;
    const current = await logic.workflows.get(rg, 'nightly-settlement');
    const definition = structuredClone(current.definition) as { actions: Record<string, unknown> };
    definition.actions.Hotfix = { type: 'Compose', inputs: 'deployed during the failover', runAfter: {} };
    await logic.workflows.createOrUpdate(rg, 'nightly-settlement', { ...current, definition });
    const afterHotfix = await logic.workflows.get(rg, 'nightly-settlement');

    sim.clearRequestLog();
    const result = await activities.applyAction({ operationId: 'op-race', action: rewrite });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(
      /^secondary:nightly-settlement changed since planning, not overwritten .*run the operation again/,
    );
    // No write reached ARM: the hotfix is intact and the schedule untouched.
    expect(sim.requestLog().filter((r) => r.method === 'PUT')).toEqual([]);
    const untouched = await logic.workflows.get(rg, 'nightly-settlement');
    expect(untouched.definition).toEqual(afterHotfix.definition);
    expect(untouched.version).toBe(afterHotfix.version);

    // Running the operation again plans from a fresh read: the rewrite applies on top of the hotfix.
    const replanned = await plannedRewrite();
    expect(replanned.basedOn).not.toBe(rewrite.basedOn);
    expect(await activities.applyAction({ operationId: 'op-race-2', action: replanned })).toEqual({
      ok: true,
      changed: true,
    });
    const rewritten = (await logic.workflows.get(rg, 'nightly-settlement')).definition as {
      actions: Record<string, unknown>;
      triggers: Record<string, { recurrence?: unknown }>;
    };
    expect(rewritten.actions.Hotfix).toEqual(definition.actions.Hotfix);
    const [trigger] = Object.values(rewritten.triggers);
    expect(trigger?.recurrence).toEqual(replanned.recurrence);

    // A retry of that step (e.g. its answer was lost) finds its own write, not a conflict.
    expect(await activities.applyAction({ operationId: 'op-race-2', action: replanned })).toEqual({
      ok: true,
      changed: false,
    });
  });
});
