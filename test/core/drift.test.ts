/**
 * Estate drift (src/core/drift.ts): what the last operation left, held against what ARM shows now, each
 * departure named by workflow, region and the readiness rule it breaks; raised once, cleared once.
 */
import { describe, expect, it } from 'vitest';
import {
  DRIFT_RULES,
  driftChanges,
  driftTargets,
  findDrift,
  leftByOperation,
  type DriftFinding,
} from '../../src/core/drift';
import type { EntryResult, StepStatus } from '../../src/core/operation-record-types';
import type { StateOf } from '../../src/core/operation-plan';
import { planOperation, type WorkflowTarget } from '../../src/core/planner';
import { targetKey } from '../../src/core/refs';
import { stateAfterSteps } from '../../src/core/verify';
import { examplePlan } from '../support/plans';

const plan = examplePlan();
// A failover planned over the estate in its normal state, every step done.
const planned = planOperation(plan, 'failover', (t) => ({
  reachable: true,
  state:
    plan.workflows.find((w) => t.label.endsWith(`:${typeof w.primary === 'string' ? w.primary : ''}`))
      ?.role === 'active-active' || t.region === 'primary'
      ? 'Enabled'
      : 'Disabled',
}));
const results = (status: (label: string) => StepStatus = () => 'done'): EntryResult[] =>
  planned.groups.flatMap((g) =>
    g.entries.map((e) => ({
      entry: e.entry,
      group: g.group,
      steps: e.steps.map((action) => ({ action, status: status(action.target.label), at: '' })),
    })),
  );
/** The estate as the failover left it, with `changes` (label → state) made since. */
function estate(changes: Record<string, string> = {}): StateOf {
  const after = planned.groups
    .flatMap((g) => g.entries)
    .reduce<StateOf>(
      (now, e) => stateAfterSteps(e, now),
      () => ({ state: 'Enabled' }),
    );
  return (t: WorkflowTarget) => {
    const c = changes[t.label];
    if (c === 'unknown') return 'unknown';
    const s = after(t);
    return c === undefined ? s : { ...(s === 'unknown' ? {} : s), state: c };
  };
}
const messages = (d: DriftFinding[]) => d.map((x) => `${x.rule}: ${x.message}`);

describe('estate drift after a failover', () => {
  const left = leftByOperation(results());

  it('the estate as the operation left it: no drift, and only the changed entries are read', () => {
    expect(findDrift(plan, left, estate(), 'secondary')).toEqual([]);
    const read = driftTargets(plan, left).map((t) => t.label);
    expect(read).toContain('secondary:order-webhook');
    expect(read).toContain('primary:mailbox-poller');
  });

  it('the secondary webhook disabled runs nowhere; the primary poller enabled runs in both regions', () => {
    const d = findDrift(
      plan,
      left,
      estate({ 'secondary:order-webhook': 'Disabled', 'primary:mailbox-poller': 'Enabled' }),
      'secondary',
    );
    expect(messages(d).sort()).toEqual([
      `${DRIFT_RULES.everyEntryRuns}: secondary order-webhook is Disabled: runs nowhere`,
      `${DRIFT_RULES.noDualActive}: primary mailbox-poller is Enabled: runs in both regions`,
    ]);
    expect(d.find((x) => x.entry === 'order-webhook')).toMatchObject({
      workflow: 'secondary:order-webhook',
      region: 'secondary',
    });
  });

  it('a webhook disabled in the secondary while the primary copy still runs: it no longer runs in the secondary', () => {
    const d = findDrift(
      plan,
      left,
      estate({ 'secondary:order-webhook': 'Disabled', 'primary:order-webhook': 'Enabled' }),
      'secondary',
    );
    expect(messages(d).sort()).toEqual([
      `${DRIFT_RULES.everyEntryRuns}: secondary order-webhook is Disabled: does not run in the secondary region`,
      `${DRIFT_RULES.expectedState}: primary order-webhook is Enabled: expected Disabled`,
    ]);
  });

  it('unreadable workflows and pending fences are not drift; failed, blocked and pending steps leave nothing', () => {
    const changes = { 'secondary:order-webhook': 'unknown', 'primary:mailbox-poller': 'Enabled' } as const;
    const pending = new Set([
      targetKey(driftTargets(plan, left).find((t) => t.label === 'primary:mailbox-poller')!),
    ]);
    expect(findDrift(plan, left, estate(changes), 'secondary', pending)).toEqual([]);
    const failed = leftByOperation(
      results((label) => (label === 'secondary:order-webhook' ? 'failed' : 'done')),
    );
    expect(findDrift(plan, failed, estate({ 'secondary:order-webhook': 'Disabled' }), 'secondary')).toEqual(
      [],
    );
    expect(leftByOperation(results(() => 'blocked'))).toEqual([]);
  });
});

describe('drift is raised once and cleared once', () => {
  const a: DriftFinding = {
    key: 'secondary:x|every-entry-runs',
    entry: 'x',
    workflow: 'secondary:x',
    region: 'secondary',
    rule: 'every-entry-runs',
    message: 'secondary x is Disabled: runs nowhere',
  };
  const b: DriftFinding = { ...a, key: 'primary:y|no-dual-active', workflow: 'primary:y', entry: 'y' };

  it('new drift is raised, standing drift is not raised again, fixed drift is cleared', () => {
    expect(driftChanges([], { drift: [a], unreadable: [] })).toEqual({
      raised: [a],
      cleared: [],
      standing: [a],
    });
    expect(driftChanges([a], { drift: [a, b], unreadable: [] })).toEqual({
      raised: [b],
      cleared: [],
      standing: [a, b],
    });
    expect(driftChanges([a, b], { drift: [b], unreadable: [] })).toEqual({
      raised: [],
      cleared: [a],
      standing: [b],
    });
  });

  it('a drift whose workflow could not be read is kept, neither raised nor cleared', () => {
    expect(driftChanges([a], { drift: [], unreadable: ['secondary:x'] })).toEqual({
      raised: [],
      cleared: [],
      standing: [a],
    });
  });
});
