import { describe, expect, it } from 'vitest';
import { gateEntry, gateStep } from '../../src/core/entry-gate';
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
});
