import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  actionsInOrder,
  entrySchedules,
  entryTargets,
  planOperation,
  type Observe,
  type PlannedAction,
  type WorkflowTarget,
} from '../../src/core/planner';
import { coverageViolations, overlapViolations, type StateOf } from '../../src/core/safety';
import { examplePlan } from '../support/plans';
import type { Plan } from '../../src/plan/schema';

const plan: Plan = examplePlan();

/** The steady state before an outage: primaries enabled (passive twins off), secondary passives disabled. */
function steadyState(): Map<string, { state: string; recurrence?: unknown }> {
  const states = new Map<string, { state: string; recurrence?: unknown }>();
  for (const entry of plan.workflows) {
    const schedules = entrySchedules(entry);
    for (const t of entryTargets(plan, entry)) {
      let enabled = t.region === 'primary' || entry.role === 'active-active';
      let recurrence: unknown;
      const side = entry[t.region];
      if (typeof side === 'object' && 'active' in side)
        enabled = JSON.stringify(side.active) === JSON.stringify(t.ref);
      if (typeof side === 'object' && 'mode' in side) {
        enabled = true;
        recurrence = t.region === 'primary' ? schedules!.primaryActive : schedules!.secondaryActive;
      }
      states.set(t.key + t.region, {
        state: enabled ? 'Enabled' : 'Disabled',
        ...(recurrence ? { recurrence } : {}),
      });
    }
  }
  return states;
}

const observeFrom =
  (
    states: Map<string, { state: string; recurrence?: unknown }>,
    unreachable: 'primary' | 'none' = 'none',
  ): Observe =>
  (t) =>
    t.region === unreachable
      ? { reachable: false, error: 'ECONNREFUSED' }
      : { reachable: true, ...states.get(t.key + t.region)! };

const stateOfFrom =
  (
    states: Map<string, { state: string; recurrence?: unknown }>,
    unreachable: 'primary' | 'none' = 'none',
  ): StateOf =>
  (t) =>
    t.region === unreachable ? 'unknown' : states.get(t.key + t.region)!;

function apply(states: Map<string, { state: string; recurrence?: unknown }>, action: PlannedAction): void {
  const k = (t: WorkflowTarget) => t.key + t.region;
  if (action.op === 'enable')
    states.set(k(action.target), { ...states.get(k(action.target))!, state: 'Enabled' });
  if (action.op === 'disable')
    states.set(k(action.target), { ...states.get(k(action.target))!, state: 'Disabled' });
  if (action.op === 'set-recurrence')
    states.set(k(action.target), { ...states.get(k(action.target))!, recurrence: action.recurrence });
}

describe('failover planner', () => {
  it('starts from a safe steady state (the fixture itself is right)', () => {
    const states = steadyState();
    expect(overlapViolations(plan, stateOfFrom(states))).toEqual([]);
    expect(coverageViolations(plan, stateOfFrom(states), 'primary')).toEqual([]);
  });

  it('runs groups in ascending order and fences before it activates', () => {
    const op = planOperation(plan, 'failover', observeFrom(steadyState()));
    expect(op.groups.map((g) => g.group)).toEqual([0, 1, 2]);
    const webhook = op.groups[1]!.entries.find((e) => e.entry === 'order-webhook')!;
    expect(webhook.steps.map((s) => `${s.op}:${s.target.label}:${'noop' in s ? s.noop : ''}`)).toEqual([
      'disable:primary:order-webhook:false',
      'enable:secondary:order-webhook:false',
    ]);
    const split = op.groups[0]!.entries.find((e) => e.entry === 'split-report')!;
    expect(split.steps.map((s) => `${s.op}:${s.target.label}:${'noop' in s ? s.noop : ''}`)).toEqual([
      'disable:primary:split-report-even:false',
      'disable:primary:split-report-odd:true',
      'enable:secondary:split-report-odd:true',
      'enable:secondary:split-report-even:false',
    ]);
    const rewrite = op.groups[0]!.entries.find((e) => e.entry === 'nightly-settlement')!;
    expect(rewrite.steps.map((s) => `${s.op}:${s.target.label}:${'noop' in s ? s.noop : ''}`)).toEqual([
      'disable:primary:nightly-settlement:false',
      'set-recurrence:secondary:nightly-settlement:false',
      'enable:secondary:nightly-settlement:true',
    ]);
  });

  it('records pending fences when the primary is unreachable, and still activates the secondary', () => {
    const op = planOperation(plan, 'failover', observeFrom(steadyState(), 'primary'));
    const steps = actionsInOrder(op).map((a) => a.action);
    expect(steps.filter((s) => s.target.region === 'primary').every((s) => s.op === 'pending-fence')).toBe(
      true,
    );
    expect(
      steps
        .filter((s) => s.op === 'enable' && !s.noop)
        .map((s) => s.target.label)
        .sort(),
    ).toEqual(
      [
        'secondary:la-orders-neu/invoice-sync',
        'secondary:mailbox-poller',
        'secondary:order-webhook',
        'secondary:split-report-even',
      ].sort(),
    );
  });

  it('reports a missing workflow instead of skipping it', () => {
    const states = steadyState();
    const observe: Observe = (t) =>
      t.label === 'secondary:mailbox-poller' ? { reachable: true, exists: false } : observeFrom(states)(t);
    const steps = actionsInOrder(planOperation(plan, 'failover', observe)).map((a) => a.action);
    expect(steps).toContainEqual(
      expect.objectContaining({
        op: 'missing',
        why: 'not-found',
        target: expect.objectContaining({ label: 'secondary:mailbox-poller' }),
      }),
    );
  });

  it('marks every action a no-op when the estate is already failed over', () => {
    const states = steadyState();
    for (const { action } of actionsInOrder(planOperation(plan, 'failover', observeFrom(states))))
      apply(states, action);
    // Its routers, too, already send calls to the secondary (exactly).
    const routed = () => ({
      reachable: true as const,
      seen: { pointsAt: 'secondary' as const, exact: true, detail: '' },
    });
    const again = actionsInOrder(
      planOperation(plan, 'failover', observeFrom(states), 'emergency', routed),
    ).map((a) => a.action);
    expect(again.every((a) => 'noop' in a && a.noop)).toBe(true);
  });

  it('never has a must-not-overlap workflow enabled in both regions at any step, and covers everything at the end (property)', () => {
    // Entries of one group run in parallel: any interleaving of their step lists must be safe.
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        fc.boolean(),
        (choices, backAgain) => {
          const states = steadyState();
          const runOp = (direction: 'failover' | 'failback') => {
            const op = planOperation(plan, direction, observeFrom(states));
            for (const group of op.groups) {
              const queues = group.entries.map((e) => [...e.steps]);
              let c = 0;
              while (queues.some((q) => q.length)) {
                const open = queues.filter((q) => q.length);
                apply(states, open[(choices[c++ % choices.length] ?? 0) % open.length]!.shift()!);
                expect(overlapViolations(plan, stateOfFrom(states))).toEqual([]);
              }
            }
            expect(
              coverageViolations(
                plan,
                stateOfFrom(states),
                direction === 'failover' ? 'secondary' : 'primary',
              ),
            ).toEqual([]);
          };
          runOp('failover');
          if (backAgain) {
            runOp('failback');
            expect(states).toEqual(steadyState());
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('detects dual-active and uncovered slots', () => {
    const states = steadyState();
    const secondaryWebhook = [...states.keys()].find(
      (k) => k.includes('order-webhook') && k.endsWith('secondary'),
    )!;
    states.set(secondaryWebhook, { state: 'Enabled' });
    expect(overlapViolations(plan, stateOfFrom(states)).map((v) => v.entry)).toEqual(['order-webhook']);
    const evenTwin = [...states.keys()].find(
      (k) => k.includes('split-report-even') && k.endsWith('secondary'),
    )!;
    states.set(evenTwin, { state: 'Enabled' });
    expect(overlapViolations(plan, stateOfFrom(states)).map((v) => v.entry)).toEqual([
      'split-report',
      'order-webhook',
    ]);
    // Nothing can be proven about a region whose ARM is down.
    expect(overlapViolations(plan, stateOfFrom(states, 'primary'))).toEqual([]);
    expect(coverageViolations(plan, stateOfFrom(steadyState()), 'secondary').map((v) => v.entry)).toEqual([
      'split-report',
      'nightly-settlement',
      'order-webhook',
      'mailbox-poller',
      'invoice-sync',
    ]);
  });
});
