import { describe, expect, it } from 'vitest';
import {
  entrySchedules,
  planOperation,
  type Direction,
  type Observe,
  type PlannedAction,
  type WorkflowTarget,
} from '../../src/core/planner';
import { deactivates, expectedAfter, stateAfterSteps, unmetExpectation } from '../../src/core/verify';
import { targetKey } from '../../src/core/refs';
import { examplePlan } from '../support/plans';
import type { Plan } from '../../src/plan/schema';

const plan: Plan = examplePlan();
const split = plan.workflows.find((w) => w.name === 'nightly-settlement')!;
const schedules = entrySchedules(split)!;

const target: WorkflowTarget = {
  region: 'secondary',
  ref: 'wf',
  key: 'sub/rg/wf',
  label: 'secondary:wf',
};
const step = (op: 'enable' | 'disable'): PlannedAction =>
  op === 'enable' ? { op, target, why: 'activate', noop: false } : { op, target, why: 'fence', noop: false };
const rewrite: PlannedAction = {
  op: 'set-recurrence',
  target,
  recurrence: schedules.secondaryPassive,
  why: 'take-every-slot',
  noop: false,
};

describe('what each step leaves behind', () => {
  it('states one expected state per kind of step', () => {
    expect(expectedAfter(step('enable'))).toEqual({ state: 'Enabled' });
    expect(expectedAfter(step('disable'))).toEqual({ state: 'Disabled' });
    expect(expectedAfter(rewrite)).toEqual({ recurrence: schedules.secondaryPassive });
    // A workflow that does not exist runs nothing; a deferred fence writes nothing now.
    expect(expectedAfter({ op: 'missing', target, why: 'not-found' })).toEqual({ state: 'Disabled' });
    expect(expectedAfter({ op: 'pending-fence', target, why: 'primary-unreachable' })).toBeUndefined();
  });

  it('counts only a written Disabled as a fence (a missing workflow or a deferred fence is not one)', () => {
    expect(deactivates(step('disable'))).toBe(true);
    expect(deactivates(step('enable'))).toBe(false);
    expect(deactivates(rewrite)).toBe(false);
    expect(deactivates({ op: 'missing', target, why: 'not-found' })).toBe(false);
    expect(deactivates({ op: 'pending-fence', target, why: 'primary-unreachable' })).toBe(false);
  });

  it('names what differs, and compares recurrences by the slots they fire, not by their text', () => {
    expect(unmetExpectation(step('enable'), { state: 'Disabled' })).toBe('is Disabled, expected Enabled');
    expect(unmetExpectation(step('disable'), { state: 'Disabled' })).toBeUndefined();
    const every = split.schedule!;
    expect(unmetExpectation(rewrite, { recurrence: schedules.secondaryPassive }, every)).toBeUndefined();
    // The same slots written from an earlier start time still match; the other twin's slots do not.
    const earlier = {
      ...schedules.secondaryPassive,
      startTime: new Date(
        Date.parse(String(schedules.secondaryPassive.startTime)) - 7 * 86_400_000,
      ).toISOString(),
    };
    expect(unmetExpectation(rewrite, { recurrence: earlier }, every)).toBeUndefined();
    expect(unmetExpectation(rewrite, { recurrence: schedules.secondaryActive }, every)).toBe(
      'does not run the expected schedule slots',
    );
    // Nothing to compare on (no schedule, or no recurrence read): never taken as verified.
    expect(unmetExpectation(rewrite, { recurrence: schedules.secondaryPassive })).toBeDefined();
    expect(unmetExpectation(rewrite, { state: 'Enabled' }, every)).toBeDefined();
  });
});

describe('planner, preflight and read-back agree on it', () => {
  const steadyState: Observe = (t) => ({
    reachable: true,
    state: 'Enabled',
    exists: true,
    ...recurrenceOf(t),
  });
  function recurrenceOf(t: WorkflowTarget) {
    if (t.label.endsWith('nightly-settlement'))
      return {
        recurrence: t.region === 'primary' ? schedules.primaryActive : schedules.secondaryActive,
      };
    return {};
  }

  for (const direction of ['failover', 'failback'] as Direction[]) {
    it(`${direction}: once every step's expected state is what ARM shows, the planner plans only no-ops and read-back finds nothing`, () => {
      const first = planOperation(plan, direction, steadyState);
      const entries = first.groups.flatMap((g) => g.entries);
      // The estate after the operation, as the check before a group predicts it.
      const afterByKey = new Map<string, { state: string; recurrence?: unknown }>();
      for (const entry of entries) {
        const after = stateAfterSteps(entry, () => 'unknown');
        for (const s of entry.steps) {
          const seen = after(s.target);
          if (seen !== 'unknown') afterByKey.set(targetKey(s.target), seen);
        }
      }
      const after: Observe = (t) => {
        const seen = afterByKey.get(targetKey(t));
        return seen ? { reachable: true, exists: true, ...seen } : steadyState(t);
      };
      // Routers: each sends calls exactly where the operation's switch moved them.
      const to: 'primary' | 'secondary' = direction === 'failover' ? 'secondary' : 'primary';
      const routed = () => ({ reachable: true as const, seen: { pointsAt: to, exact: true, detail: '' } });
      const again = planOperation(plan, direction, after, 'emergency', { observeRouter: routed });
      const checked = again.groups.flatMap((g) =>
        g.entries.flatMap((e) => e.steps.map((step) => ({ entry: e.entry, step }))),
      );
      expect(checked.length).toBeGreaterThan(0);
      for (const { entry, step: s } of checked) {
        expect('noop' in s && s.noop, `${s.op} ${s.target.label}`).toBe(true);
        const schedule = plan.workflows.find((w) => w.name === entry)?.schedule;
        expect(
          unmetExpectation(s, afterByKey.get(targetKey(s.target))!, schedule),
          s.target.label,
        ).toBeUndefined();
      }
      // And the first plan, against the same estate, is exactly the steps that were not no-ops before.
      expect(entries.flatMap((e) => e.steps).some((s) => 'noop' in s && !s.noop)).toBe(true);
    });
  }
});
