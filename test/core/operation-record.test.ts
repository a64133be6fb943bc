/**
 * The operation's audit record as pure builders: the record it starts with, its outcome, measured RTO, pending
 * fences and closing notices, and the failure to plan. The operation orchestrator only feeds them results.
 */
import { describe, expect, it } from 'vitest';
import { automaticFailoverRequest, testPolicy } from '../support/plans';
import type { OperationInput } from '../../src/core/monitor-record';
import { EVENT_TYPES } from '../../src/core/notifications';
import {
  closeOperationRecord,
  failedToPlan,
  movedExtent,
  notMovedOf,
  openOperationRecord,
  rtoStart,
  type EntryResult,
  type ReadBackReport,
  type StepStatus,
} from '../../src/core/operation-record';
import type { PlannedAction, WorkflowTarget } from '../../src/core/planner';

const policy = testPolicy();
const now = new Date('2026-03-02T08:10:00Z');
const input = (extra: Partial<OperationInput> = {}): OperationInput => ({
  planId: 'plan-a',
  operationId: 'failover-1-20260302T080000',
  request: automaticFailoverRequest(),
  evidence: {
    firstFailureAt: '2026-03-02T08:00:00.000Z',
    consecutiveFailures: 3,
    recentProbes: [],
  },
  policy,
  requestedAt: '2026-03-02T08:01:00.000Z',
  ...extra,
});
const target = (label: string) => ({ label }) as unknown as WorkflowTarget;
const action = (op: 'enable' | 'disable' | 'pending-fence', label: string) =>
  ({ op, target: target(label) }) as unknown as PlannedAction;
const entry = (
  name: string,
  steps: [PlannedAction, StepStatus][],
  extra: Partial<EntryResult> = {},
): EntryResult => ({
  entry: name,
  group: 0,
  steps: steps.map(([a, status]) => ({ action: a, status, at: now.toISOString() })),
  ...extra,
});
const readBack = (group: number, at: string, mismatches: string[] = []): ReadBackReport => ({
  group,
  at,
  mismatches,
  violations: [],
  unreadable: [],
});

describe('an operation record', () => {
  it('starts running, measured from the first failed probe (or, without one, from the request)', () => {
    expect(openOperationRecord(input())).toMatchObject({
      status: 'running',
      evidence: input().evidence,
      policy,
      rto: { from: '2026-03-02T08:00:00.000Z', basis: 'first-failed-probe' },
    });
    expect(
      rtoStart(input({ evidence: { firstFailureAt: '', consecutiveFailures: 0, recentProbes: [] } })),
    ).toEqual({
      from: '2026-03-02T08:01:00.000Z',
      basis: 'request',
    });
  });

  const outcomes: { name: string; entries: EntryResult[]; readBacks?: ReadBackReport[]; outcome: string }[] =
    [
      {
        name: 'every step done',
        entries: [entry('a', [[action('enable', 's:a'), 'done']])],
        outcome: 'succeeded',
      },
      {
        name: 'a pending fence is not an error',
        entries: [
          entry('a', [
            [action('pending-fence', 'p:a'), 'pending-fence'],
            [action('enable', 's:a'), 'done'],
          ]),
        ],
        outcome: 'succeeded',
      },
      {
        name: 'a failed step',
        entries: [entry('a', [[action('enable', 's:a'), 'failed']])],
        outcome: 'completed-with-errors',
      },
      {
        name: 'a missing workflow',
        entries: [entry('a', [[action('enable', 's:a'), 'missing']])],
        outcome: 'completed-with-errors',
      },
      {
        name: 'a blocked entry',
        entries: [entry('a', [], { blocked: 'unsafe' })],
        outcome: 'completed-with-errors',
      },
      {
        name: 'a mismatch after a group',
        entries: [entry('a', [[action('enable', 's:a'), 'done']])],
        readBacks: [
          readBack(-1, '2026-03-02T08:02:00.000Z'),
          readBack(0, '2026-03-02T08:03:00.000Z', ['s:a']),
        ],
        outcome: 'completed-with-errors',
      },
      {
        name: 'a mismatch only in the planning read (group -1)',
        entries: [entry('a', [[action('enable', 's:a'), 'done']])],
        readBacks: [
          readBack(-1, '2026-03-02T08:02:00.000Z', ['s:a']),
          readBack(0, '2026-03-02T08:03:00.000Z'),
        ],
        outcome: 'succeeded',
      },
    ];
  it.each(outcomes)('outcome with $name: $outcome', ({ entries, readBacks, outcome }) => {
    const record = { ...openOperationRecord(input()), entries, readBack: readBacks ?? [] };
    const closed = closeOperationRecord(record, input(), now);
    expect(closed.outcome).toBe(outcome);
    expect(closed.record.status).toBe(outcome);
    expect(closed.notices.at(-1)).toMatchObject({
      type: EVENT_TYPES.failoverCompleted,
      messageId: 'failover-1-20260302T080000:completed',
      correlationId: 'failover-1-20260302T080000',
      data: { outcome, operationId: 'failover-1-20260302T080000', trigger: 'automatic' },
    });
  });

  it('closes with the fences left pending, the RTO to the last read-back, and an override notice when one was used', () => {
    const record = {
      ...openOperationRecord(input()),
      entries: [
        entry(
          'a',
          [
            [action('pending-fence', 'p:a'), 'pending-fence'],
            [action('enable', 's:a'), 'done'],
          ],
          {
            overrideUsed: 'no-dual-active: ran a',
          },
        ),
      ],
      readBack: [readBack(-1, '2026-03-02T08:02:00.000Z'), readBack(0, '2026-03-02T08:03:30.000Z')],
    };
    const closed = closeOperationRecord(record, input(), now);
    expect(closed.record.pendingFences).toEqual([target('p:a')]);
    expect(closed.record.rto).toMatchObject({ to: '2026-03-02T08:03:30.000Z', measuredMs: 210_000 });
    expect(closed.notices.map((n) => n.type)).toEqual([
      EVENT_TYPES.overrideAccepted,
      EVENT_TYPES.failoverCompleted,
    ]);
    expect(closed.notices[0]).toMatchObject({ data: { overrides: ['a: no-dual-active: ran a'] } });
    expect(closed.notices[1]).toMatchObject({
      data: {
        pendingFences: ['p:a'],
        results: [
          {
            entry: 'a',
            steps: [
              { action: 'pending-fence p:a', status: 'pending-fence' },
              { action: 'enable s:a', status: 'done' },
            ],
          },
        ],
        rto: closed.record.rto,
      },
    });
    expect(record.rto.to).toBeUndefined(); // the builder returns a new record
  });

  it('names each entry that did not move, with why, in the record and the completed notice (issue 22 §6)', () => {
    const on = (op: 'enable' | 'disable' | 'missing', region: string, name: string) =>
      ({ op, target: { region, label: `${region}:${name}` } }) as unknown as PlannedAction;
    const entries = [
      entry('moved', [
        [on('disable', 'primary', 'moved'), 'done'],
        [on('enable', 'secondary', 'moved'), 'done'],
      ]),
      entry('held', [], { blocked: 'held: secondary:held does not exist, so fencing the primary would ...' }),
      entry(
        'fence-failed',
        [
          [on('disable', 'primary', 'fence-failed'), 'failed'],
          [on('enable', 'secondary', 'fence-failed'), 'blocked'],
        ],
        { blocked: 'not activating secondary:fence-failed: the fence of primary:fence-failed failed (x)' },
      ),
      entry('enable-failed', [
        [on('disable', 'primary', 'enable-failed'), 'done'],
        [on('enable', 'secondary', 'enable-failed'), 'failed'],
      ]),
      entry('unfenced', [
        [action('pending-fence', 'primary:unfenced'), 'pending-fence'],
        [on('enable', 'secondary', 'unfenced'), 'done'],
      ]),
      // The primary's copy is gone: nothing to fence, the entry moved.
      entry('primary-gone', [
        [on('missing', 'primary', 'primary-gone'), 'missing'],
        [on('enable', 'secondary', 'primary-gone'), 'done'],
      ]),
    ];
    entries[3]!.steps[1]!.error = 'ARM unreachable';
    const notMoved = notMovedOf('failover', entries);
    expect(notMoved).toEqual([
      { entry: 'held', why: 'held', reason: entries[1]!.blocked },
      { entry: 'fence-failed', why: 'blocked', reason: entries[2]!.blocked },
      {
        entry: 'enable-failed',
        why: 'failed',
        reason: 'enable secondary:enable-failed: failed (ARM unreachable)',
      },
      {
        entry: 'unfenced',
        why: 'pending-fence',
        reason:
          "moved, but primary:unfenced is not fenced yet (pending until its region's ARM answers) and may still run",
        fences: ['primary:unfenced'],
      },
    ]);
    expect(movedExtent(entries, notMoved)).toBe('partial');
    // A fence still pending alone: the entry moved.
    expect(movedExtent(entries, notMoved.slice(3))).toBe('all');
    // An emergency failover that moved nothing says so.
    expect(movedExtent(entries.slice(1, 4), notMoved.slice(0, 3))).toBe('none');

    const closed = closeOperationRecord({ ...openOperationRecord(input()), entries }, input(), now);
    expect(closed.record).toMatchObject({ moved: 'partial', notMoved });
    expect(closed.notices.at(-1)).toMatchObject({
      type: EVENT_TYPES.failoverCompleted,
      data: { moved: 'partial', notMoved },
    });
    const none = closeOperationRecord(
      { ...openOperationRecord(input()), entries: entries.slice(1, 3) },
      input(),
      now,
    );
    expect(none.record.moved).toBe('none');
  });

  it('a failback that could not plan fails, saying why, with a failback.failed notice', () => {
    const back = input({ request: { ...input().request, direction: 'failback', kind: 'planned' } });
    const failed = failedToPlan(openOperationRecord(back), back, 'ARM said 503', now);
    expect(failed.record).toMatchObject({
      status: 'failed',
      error: 'could not read the estate to plan the failback: ARM said 503',
    });
    expect(failed.notices).toMatchObject([
      {
        type: EVENT_TYPES.failbackFailed,
        messageId: 'failover-1-20260302T080000:failed',
        time: now.toISOString(),
        data: { error: failed.record.error, direction: 'failback' },
      },
    ]);
  });
});
