import { describe, expect, it } from 'vitest';
import { predictActuation, boundaryMarginMs } from '../../src/core/actuation';
import { entrySchedules, planOperation, type EntryPlan, type Observe } from '../../src/core/planner';
import { deferredTargets, violationsAfterEntry } from '../../src/core/preflight';
import { stateAfterSteps } from '../../src/core/verify';
import type { StateOf } from '../../src/core/safety';
import type { OperationPlan } from '../../src/core/planner';
import { examplePlan } from '../support/plans';
import type { Plan } from '../../src/plan/schema';

const plan: Plan = examplePlan();

const primaryDown: Observe = (t) =>
  t.region === 'primary' ? { reachable: false, error: 'ECONNREFUSED' } : undefined;
const entryOf = (op: OperationPlan, name: string): EntryPlan =>
  op.groups.flatMap((g) => g.entries).find((e) => e.entry === name)!;

/** The primary as it was before the outage: active twins, rewrite workflows and single workflows enabled. */
const primaryAsBefore: StateOf = (t) => {
  if (t.region !== 'primary') return 'unknown';
  if (t.label === 'primary:split-report-odd') return { state: 'Disabled' };
  if (t.label === 'primary:nightly-settlement')
    return {
      state: 'Enabled',
      recurrence: entrySchedules(plan.workflows.find((w) => w.name === 'nightly-settlement')!)!.primaryActive,
    };
  return { state: 'Enabled' };
};

describe('the check before a group', () => {
  const deferred = planOperation(plan, 'failover', primaryDown);

  it('an entry whose fence was deferred would run in both regions once its primary answers again enabled', () => {
    const names = ['split-report', 'nightly-settlement', 'order-webhook', 'mailbox-poller', 'invoice-sync'];
    for (const name of names) {
      const entry = entryOf(deferred, name);
      expect(deferredTargets(entry).length, name).toBeGreaterThan(0);
      expect(
        violationsAfterEntry(plan, entry, primaryAsBefore).map((v) => v.rule),
        name,
      ).toEqual(['no-dual-active']);
    }
  });

  it('nothing is held while the primary stays silent, once it is disabled, or for active-active entries', () => {
    const silent: StateOf = () => 'unknown';
    const disabled: StateOf = (t) => (t.region === 'primary' ? { state: 'Disabled' } : 'unknown');
    for (const entry of deferred.groups.flatMap((g) => g.entries)) {
      expect(violationsAfterEntry(plan, entry, silent), entry.entry).toEqual([]);
      expect(violationsAfterEntry(plan, entry, disabled), entry.entry).toEqual([]);
    }
    for (const name of ['queue-consumer', 'orders-api', 'ledger-fifo'])
      expect(violationsAfterEntry(plan, entryOf(deferred, name), primaryAsBefore)).toEqual([]);
  });

  it('a fence the entry applies itself settles it, whatever the primary says now', () => {
    const reachable = planOperation(plan, 'failover', () => undefined);
    for (const entry of reachable.groups.flatMap((g) => g.entries)) {
      expect(deferredTargets(entry)).toEqual([]);
      expect(violationsAfterEntry(plan, entry, primaryAsBefore), entry.entry).toEqual([]);
    }
  });

  it('state after the steps: written targets as the steps set them, missing ones run nothing', () => {
    const entry = entryOf(deferred, 'order-webhook');
    const missing: EntryPlan = {
      ...entry,
      steps: entry.steps.map((s) =>
        s.op === 'enable' ? { op: 'missing', target: s.target, why: 'not-found' } : s,
      ),
    };
    const after = stateAfterSteps(missing, primaryAsBefore);
    const [primary, secondary] = entry.steps.map((s) => s.target);
    expect(after(primary!)).toEqual({ state: 'Enabled' }); // deferred: as ARM says now
    expect(after(secondary!)).toEqual({ state: 'Disabled' });
    expect(violationsAfterEntry(plan, missing, primaryAsBefore)).toEqual([]);
  });
});

describe('predicted actuation', () => {
  it('an emergency failover: one read-back per group, no slot waits', () => {
    const op = planOperation(plan, 'failover', primaryDown);
    // Three groups: 3 s of read-backs, and at worst 2 + 8 x 3 queue hops of 2 s (host.json).
    expect(predictActuation(op, new Date('2026-03-02T08:05:00Z'))).toMatchObject({
      actuationMs: 3_000 + 26 * 2_000,
      slotWaitMs: 0,
      queueWaitMs: 26 * 2_000,
    });
  });

  it('a planned switchover waits for the slowest split entry of the first group (next hour + 30 s margin)', () => {
    const op = planOperation(plan, 'failover', () => undefined, 'planned');
    // nightly-settlement: slots at :30 each hour; split-report every 10 minutes. Group 0 waits for the later.
    expect(predictActuation(op, new Date('2026-03-02T08:05:00Z'))).toMatchObject({
      slotWaitMs: 25 * 60_000 + 30_000,
      actuationMs: 25 * 60_000 + 30_000 + 3_000 + 26 * 2_000,
    });
    expect(boundaryMarginMs('PT10M')).toBe(30_000);
    expect(boundaryMarginMs('PT1M')).toBe(3_000);
  });

  it('writes beyond the burst of 200 add ARM refill time (10 per second)', () => {
    const op = planOperation(plan, 'failover', () => undefined);
    const entry = op.groups[0]!.entries[0]!;
    const many: OperationPlan = {
      ...op,
      groups: [{ group: 0, entries: [{ ...entry, steps: Array(250).fill(entry.steps[0]) }] }],
    };
    expect(predictActuation(many, new Date('2026-03-02T08:05:00Z'))).toEqual({
      actuationMs: 1_000 + 50 * 100 + 10 * 2_000,
      slotWaitMs: 0,
      queueWaitMs: 10 * 2_000,
      writes: 250,
    });
  });
});
