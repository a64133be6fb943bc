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

  it('reports a missing workflow it would fence instead of skipping it', () => {
    const states = steadyState();
    const observe: Observe = (t) =>
      t.label === 'primary:mailbox-poller' ? { reachable: true, exists: false } : observeFrom(states)(t);
    const steps = actionsInOrder(planOperation(plan, 'failover', observe)).map((a) => a.action);
    expect(steps).toContainEqual(
      expect.objectContaining({
        op: 'missing',
        why: 'not-found',
        target: expect.objectContaining({ label: 'primary:mailbox-poller' }),
      }),
    );
  });

  describe('never none: an entry the region taking over cannot activate is held whole', () => {
    type Seen = ReturnType<Observe>;
    const cases: [string, 'failover' | 'failback', string, Seen, RegExp][] = [
      [
        'missing',
        'failover',
        'secondary:mailbox-poller',
        { reachable: true, exists: false },
        /secondary:mailbox-poller does not exist/,
      ],
      [
        'unreachable',
        'failover',
        'secondary:mailbox-poller',
        { reachable: false, error: 'ECONNREFUSED' },
        /secondary:mailbox-poller could not be read \(its region's ARM did not answer: ECONNREFUSED\)/,
      ],
      [
        'unreadable',
        'failover',
        'secondary:mailbox-poller',
        { reachable: true, state: 'Unknown', error: '500 InternalServerError' },
        /secondary:mailbox-poller could not be read \(500 InternalServerError\)/,
      ],
      [
        'suspended',
        'failover',
        'secondary:mailbox-poller',
        { reachable: true, state: 'Suspended' },
        /secondary:mailbox-poller is Suspended and cannot be enabled/,
      ],
      [
        'rewritten twin missing',
        'failover',
        'secondary:nightly-settlement',
        { reachable: true, exists: false },
        /secondary:nightly-settlement does not exist/,
      ],
      [
        'missing at failback',
        'failback',
        'primary:mailbox-poller',
        { reachable: true, exists: false },
        /primary:mailbox-poller does not exist/,
      ],
      [
        'primary ARM down at failback',
        'failback',
        'primary:mailbox-poller',
        { reachable: false, error: 'ECONNREFUSED' },
        /primary:mailbox-poller could not be read/,
      ],
    ];
    it.each(cases)(
      '%s: no fence, no stand-down, no activation, and says why',
      (_, direction, label, seen, why) => {
        const states = steadyState();
        const observe: Observe = (t) => (t.label === label ? seen : observeFrom(states)(t));
        const op = planOperation(plan, direction, observe);
        const entryName = label.split(':')[1]!;
        const entry = op.groups.flatMap((g) => g.entries).find((e) => e.entry === entryName)!;
        expect(entry.steps).toEqual([]);
        expect(entry.held).toBe('every-entry-runs');
        expect(entry.blocked).toMatch(why);
        expect(entry.blocked).toMatch(/would leave .* running nowhere \[every-entry-runs\]/);
        // Every other entry is planned as before.
        const others = op.groups.flatMap((g) => g.entries).filter((e) => e.entry !== entryName);
        expect(others.every((e) => !e.blocked && e.steps.length > 0)).toBe(true);
      },
    );

    it('a primary that cannot take the entries at failback (its health check fails) holds every entry', () => {
      const op = planOperation(plan, 'failback', observeFrom(steadyState()), 'planned', {
        unfit: "the primary's health check fails (status, 500)",
      });
      const entries = op.groups.flatMap((g) => g.entries);
      expect(entries.every((e) => e.steps.length === 0 && e.held === 'every-entry-runs')).toBe(true);
      expect(entries[0]!.blocked).toMatch(
        /^held: the primary's health check fails \(status, 500\), so standing the secondary down/,
      );
    });

    it('a secondary that could not be read holds nothing while every fence is deferred (nothing is written first)', () => {
      const observe: Observe = (t) =>
        t.region === 'primary'
          ? { reachable: false, error: 'ECONNREFUSED' }
          : { reachable: true, state: 'Unknown', error: '503 ServiceUnavailable' };
      const op = planOperation(plan, 'failover', observe);
      expect(op.groups.flatMap((g) => g.entries).filter((e) => e.blocked)).toEqual([]);
    });

    it('a fence the primary cannot take (deferred, or missing there) holds nothing', () => {
      const op = planOperation(plan, 'failover', observeFrom(steadyState(), 'primary'));
      expect(op.groups.flatMap((g) => g.entries).filter((e) => e.blocked)).toEqual([]);
    });
  });

  it('at failback, says how to put back each step that stops or narrows the secondary', () => {
    const failedOver = steadyState();
    for (const { action } of actionsInOrder(planOperation(plan, 'failover', observeFrom(failedOver))))
      apply(failedOver, action);
    const op = planOperation(plan, 'failback', observeFrom(failedOver), 'planned');
    const entry = (name: string) => op.groups.flatMap((g) => g.entries).find((e) => e.entry === name)!;
    const undo = (name: string) =>
      (entry(name).undo ?? []).map(
        (u) => `${entry(name).steps[u.step]!.op} -> ${u.action.op}:${u.action.target.label}`,
      );
    expect(undo('order-webhook')).toEqual(['disable -> enable:secondary:order-webhook']);
    expect(undo('split-report')).toEqual(['disable -> enable:secondary:split-report-even']);
    expect(undo('nightly-settlement')).toEqual([
      'set-recurrence -> set-recurrence:secondary:nightly-settlement',
    ]);
    const back = entry('nightly-settlement').undo![0]!.action;
    expect(back).toMatchObject({
      why: 'take-every-slot',
      recurrence: entrySchedules(plan.workflows[1]!)!.secondaryAfterFailover,
    });
    expect(undo('orders-api')).toEqual([]); // active-active: the secondary keeps running it anyway
    expect(
      planOperation(plan, 'failover', observeFrom(steadyState()))
        .groups.flatMap((g) => g.entries)
        .some((e) => e.undo),
    ).toBe(false);
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
      planOperation(plan, 'failover', observeFrom(states), 'emergency', { observeRouter: routed }),
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
