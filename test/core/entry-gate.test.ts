import { describe, expect, it } from 'vitest';
import {
  compensation,
  failbackMovedNothing,
  fencesLeftPending,
  gateEntry,
  gateStep,
  heldAfterCompensation,
  regionsFoundFailing,
  type StepOutcome,
} from '../../src/core/entry-gate';
import { protects } from '../../src/core/verify';
import type { EntryPlan, PlannedAction, WorkflowTarget } from '../../src/core/planner';

const target = (region: 'primary' | 'secondary'): WorkflowTarget => ({
  region,
  ref: 'orders',
  key: `${region}/orders`,
  label: `${region}:orders`,
});
const fence: PlannedAction = { op: 'disable', target: target('primary'), why: 'fence', noop: false };
const activate: PlannedAction = { op: 'enable', target: target('secondary'), why: 'activate', noop: false };
const entry = (role: EntryPlan['role'], extra: Partial<EntryPlan> = {}): EntryPlan => ({
  entry: 'orders',
  role,
  steps: [fence, activate],
  ...extra,
});
const OVERRIDE = ['no-dual-active'];
const FAILED = 'the fence of primary:orders failed (403)';

describe('the entry gate', () => {
  it('an entry refused at planning runs nothing, with the planner’s reason', () => {
    expect(gateEntry(entry('active-passive', { blocked: 'webhook trigger' }), undefined, OVERRIDE)).toEqual({
      run: false,
      blocked: 'webhook trigger',
    });
  });

  it('an entry found unsafe before its group runs nothing unless overridden, and says how to proceed', () => {
    const refused = gateEntry(entry('active-passive'), 'primary:orders answered again', []);
    expect(refused).toMatchObject({ run: false });
    expect(!refused.run && refused.blocked).toMatch(
      /^not running orders: primary:orders answered again\. Fail over again .*override \["no-dual-active"\]/,
    );
    expect(gateEntry(entry('active-passive'), 'primary:orders answered again', OVERRIDE)).toEqual({
      run: true,
      overrideUsed: 'no-dual-active: ran orders although primary:orders answered again',
    });
    expect(gateEntry(entry('active-passive'), undefined, [])).toEqual({ run: true });
  });

  const cases: {
    name: string;
    role: EntryPlan['role'];
    action: PlannedAction;
    failure?: string;
    override?: string[];
    run: boolean;
    used?: RegExp;
  }[] = [
    { name: 'an activation after fences that held', role: 'active-passive', action: activate, run: true },
    {
      name: 'an activation after a failed fence',
      role: 'active-passive',
      action: activate,
      failure: FAILED,
      run: false,
    },
    {
      name: 'the same in a split entry',
      role: 'split-recurrence',
      action: activate,
      failure: FAILED,
      run: false,
    },
    {
      name: 'another fence after a failed fence',
      role: 'active-passive',
      action: fence,
      failure: FAILED,
      run: true,
    },
    {
      name: 'an active-active activation after a failed fence',
      role: 'active-active',
      action: activate,
      failure: FAILED,
      run: true,
    },
    {
      name: 'an overridden activation after a failed fence',
      role: 'active-passive',
      action: activate,
      failure: FAILED,
      override: OVERRIDE,
      run: true,
      used: /^no-dual-active: activated secondary:orders although the fence of primary:orders failed/,
    },
  ];
  it.each(cases)('$name: run $run', ({ role, action, failure, override, run, used }) => {
    const gate = gateStep(entry(role), action, failure, override ?? []);
    expect(gate.run).toBe(run);
    if (!gate.run)
      expect(gate.blocked).toMatch(
        /^not activating secondary:orders: the fence of primary:orders failed \(403\), so it could run in both regions/,
      );
    if (used) expect(gate.run && gate.overrideUsed).toMatch(used);
    else if (gate.run) expect(gate.overrideUsed).toBeUndefined();
  });

  it('at failback, the primary restore waits for the secondary rewrite back to its half, as for a fence', () => {
    const rewriteBack: PlannedAction = {
      op: 'set-recurrence',
      target: target('secondary'),
      recurrence: { frequency: 'Hour', interval: 2 },
      why: 'restore-split',
      noop: false,
    };
    const primaryRewrite: PlannedAction = { ...rewriteBack, target: target('primary') };
    const restore: PlannedAction = { op: 'enable', target: target('primary'), why: 'restore', noop: false };
    expect(protects(rewriteBack)).toBe(true);
    expect(protects(primaryRewrite)).toBe(false); // the primary taking its slots back activates
    expect(protects({ ...rewriteBack, why: 'take-every-slot' })).toBe(false);
    expect(protects({ op: 'disable', target: target('secondary'), why: 'stand-down', noop: false })).toBe(
      true,
    );
    const split = entry('split-recurrence', { steps: [rewriteBack, primaryRewrite, restore] });
    const failed = 'the fence of secondary:orders failed (gave up after retries: 503)';
    expect(gateStep(split, primaryRewrite, failed, [])).toMatchObject({ run: false });
    expect(gateStep(split, restore, failed, [])).toMatchObject({ run: false });
    expect(gateStep(split, restore, failed, OVERRIDE)).toMatchObject({ run: true });
  });
});

describe('what an entry leaves behind', () => {
  const activateOk = (status: StepOutcome['status']): StepOutcome => ({ action: activate, status });
  it.each<[string, StepOutcome[], string[]]>([
    [
      'a deferred fence of an activated entry',
      [
        {
          action: { op: 'pending-fence', target: target('primary'), why: 'primary-unreachable' },
          status: 'pending-fence',
        },
        activateOk('done'),
      ],
      ['primary:orders'],
    ],
    [
      'a failed fence of an entry activated under override',
      [{ action: fence, status: 'failed' }, activateOk('done')],
      ['primary:orders'],
    ],
    [
      'a failed fence whose activation was already in place',
      [{ action: fence, status: 'failed' }, activateOk('noop')],
      ['primary:orders'],
    ],
    [
      'a failed fence whose activation was blocked',
      [{ action: fence, status: 'failed' }, activateOk('blocked')],
      [],
    ],
    [
      'a deferred fence whose activation failed',
      [
        {
          action: { op: 'pending-fence', target: target('primary'), why: 'primary-unreachable' },
          status: 'pending-fence',
        },
        activateOk('failed'),
      ],
      [],
    ],
    ['a fence that held', [{ action: fence, status: 'done' }, activateOk('done')], []],
    ['an entry held at planning (no steps)', [], []],
  ])('%s: %j', (_, steps, pending) => {
    expect(fencesLeftPending(steps).map((t) => t.label)).toEqual(pending);
  });

  it('a failback compensation puts back only what this operation changed, newest first', () => {
    const standDown: PlannedAction = {
      op: 'disable',
      target: target('secondary'),
      why: 'stand-down',
      noop: false,
    };
    const other: PlannedAction = {
      ...standDown,
      target: { ...target('secondary'), label: 'secondary:other', key: 'other' },
    };
    const undoOf = (a: PlannedAction): PlannedAction => ({
      op: 'enable',
      target: a.target,
      why: 'activate',
      noop: false,
    });
    const plan = entry('active-passive', {
      steps: [standDown, other, activate],
      undo: [
        { step: 0, action: undoOf(standDown) },
        { step: 1, action: undoOf(other) },
      ],
    });
    const ran = (s0: StepOutcome['status'], s1: StepOutcome['status']): StepOutcome[] => [
      { action: standDown, status: s0 },
      { action: other, status: s1 },
      { action: activate, status: 'failed' },
    ];
    expect(compensation(plan, ran('done', 'done')).map((a) => a.target.label)).toEqual([
      'secondary:other',
      'secondary:orders',
    ]);
    expect(compensation(plan, ran('noop', 'done')).map((a) => a.target.label)).toEqual(['secondary:other']);
    expect(compensation(plan, ran('failed', 'noop'))).toEqual([]);
    expect(
      heldAfterCompensation(plan, 'primary:orders failed (503)', [{ action: undoOf(standDown), ok: true }]),
    ).toBe(
      'held: primary:orders failed (503); secondary:orders put back as before, so orders keeps running in the secondary [every-entry-runs]. Fail back again once the primary can take it',
    );
    expect(
      heldAfterCompensation(plan, 'primary:orders failed (503)', [
        { action: undoOf(standDown), ok: false, error: '503' },
      ]),
    ).toMatch(/putting back secondary:orders failed too \(503\): orders may run nowhere, enable it by hand/);
  });

  it('a region whose fences ran out of retries is found failing; a refused fence (403) is not', () => {
    expect(
      regionsFoundFailing([
        { action: fence, status: 'failed', error: 'gave up: the fence budget ran out: 500' },
        { action: activate, status: 'failed', error: 'gave up after retries: 500' },
      ]),
    ).toEqual(['primary']);
    expect(
      regionsFoundFailing([{ action: fence, status: 'failed', error: 'AuthorizationFailed (403)' }]),
    ).toEqual([]);
  });

  it('a failback in which every entry was held or blocked failed; a partial one, or a failover, is for others to judge', () => {
    expect(failbackMovedNothing('failback', [{ blocked: 'held: x' }, { blocked: 'held: y' }])).toBe(true);
    expect(failbackMovedNothing('failback', [{ blocked: 'held: x' }, {}])).toBe(false);
    expect(failbackMovedNothing('failover', [{ blocked: 'held: x' }])).toBe(false);
    expect(failbackMovedNothing('failback', [])).toBe(false);
  });
});
