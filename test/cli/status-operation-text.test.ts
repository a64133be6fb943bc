/**
 * What `dr status` and `dr operation` print for the cases the operator audit found silent or contradictory
 * (reports/audit-findings.md 1, 2, 3, 4, 6, 9, 11): built from the status view of a monitor state and the
 * operation records, as the API answers them.
 */
import { describe, expect, it } from 'vitest';
import { initialMonitorState, policyOf, type MonitorState } from '../../src/core/monitor';
import type { EntryResult } from '../../src/core/operation-record';
import type { MonitorStatus, OperationLiveStatus, OperationRecord } from '../../src/durable/contracts';
import type { WorkflowTarget } from '../../src/core/planner';
import { loadPlan } from '../../src/plan/load';
import { statusView, type StatusInputs } from '../../src/http/status-view';
import { renderStatus } from '../../src/cli/commands/status';
import { renderOperation } from '../../src/cli/commands/operation';
import { renderHistory } from '../../src/cli/commands/history';
import { historyPage } from '../../src/http/history';
import { EXAMPLE_PLAN } from '../support/estate';

const { plan } = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
const policy = policyOf(plan);
const target = (label: string) => ({ region: label.split(':')[0], label }) as WorkflowTarget;
const step = (op: string, label: string, status: string, error?: string) => ({
  action: { op, target: target(label) },
  status,
  at: '2026-03-02T08:00:01.000Z',
  ...(error ? { error } : {}),
});
const FAILOVER = 'failover-1-20260302T080000';
const FAILBACK = 'failback-2-20260302T090000';

function monitorOf(state: Partial<MonitorState>, extra: Partial<MonitorStatus> = {}): MonitorStatus {
  return {
    planId: plan.id,
    state: { ...initialMonitorState(), ...state },
    policy,
    pendingFences: [],
    answers: [],
    operationSeq: 2,
    executions: 1,
    updatedAt: '2026-03-02T09:10:00.000Z',
    ...extra,
  };
}

function inputs(monitor: MonitorStatus, more: Partial<StatusInputs> = {}): StatusInputs {
  return {
    plan,
    planPolicy: policy,
    monitor,
    instanceId: 'm',
    runtimeStatus: 'Running',
    now: new Date('2026-03-02T09:10:00Z'),
    auth: { requirePrincipal: false, trustPrincipal: false, keyIsOperator: false },
    ...more,
  };
}

function record(
  operationId: string,
  direction: 'failover' | 'failback',
  entries: EntryResult[],
  more: Partial<OperationRecord> = {},
): OperationRecord {
  return {
    operationId,
    planId: plan.id,
    request: {
      direction,
      kind: 'emergency',
      trigger: 'manual',
      caller: { by: 'oncall@contoso.com', reason: 'outage' },
      override: [],
    },
    status: 'succeeded',
    timeline: [],
    entries,
    checks: [],
    readBack: [],
    pendingFences: [],
    notifications: [],
    rto: { from: '2026-03-02T08:00:00.000Z', basis: 'request', measuredMs: 49_151, predictedMs: 60_000 },
    ...more,
  };
}

const entry = (name: string, group: number, steps: ReturnType<typeof step>[], blocked?: string) =>
  ({ entry: name, group, steps, ...(blocked ? { blocked } : {}) }) as EntryResult;

const completedInstance = (r: OperationRecord) => ({
  instanceId: `dr-op-${plan.id}-${r.operationId}`,
  createdTime: '2026-03-02T08:00:00.000Z',
  lastUpdatedTime: '2026-03-02T08:01:00.000Z',
  runtimeStatus: 'Completed',
  output: r,
});

describe('dr status and dr operation while an operation runs (finding 1)', () => {
  const live: OperationLiveStatus = {
    operationId: FAILOVER,
    status: 'running',
    timeline: [
      { at: '2026-03-02T08:00:00.000Z', event: 'failover requested by oncall@contoso.com: outage' },
      {
        at: '2026-03-02T08:00:01.000Z',
        event: 'plan: emergency failover from westeurope to northeurope, 3 group(s)',
      },
      { at: '2026-03-02T08:00:02.000Z', event: 'group 0 checked: 0 deferred target(s) read, 0 violation(s)' },
      { at: '2026-03-02T08:00:05.000Z', event: 'group 0 applied' },
      { at: '2026-03-02T08:00:06.000Z', event: 'group 0 read back' },
      { at: '2026-03-02T08:00:07.000Z', event: 'group 1 checked: 1 deferred target(s) read, 0 violation(s)' },
      {
        at: '2026-03-02T08:00:08.000Z',
        event: 'group 1: waiting for the split slot at 08:30:30 (nightly-settlement)',
      },
    ],
    entriesDone: 2,
    waiting: {
      says: 'waiting for the split slot at 08:30:30',
      until: '2026-03-02T08:30:30.000Z',
      entries: ['nightly-settlement'],
    },
    released: [target('primary:order-webhook')],
    working: [`dr-op-${plan.id}-${FAILOVER}-g1-batch`],
  };

  it('dr status shows the newest events with their times, entries done, the wait and the fences released', () => {
    const running = {
      operationId: FAILOVER,
      direction: 'failover' as const,
      trigger: 'manual' as const,
      startedAt: '2026-03-02T08:00:00.000Z',
    };
    const view = statusView(
      inputs(monitorOf({ mode: 'failing-over' }, { activeOperation: running }), {
        current: { runtimeStatus: 'Running', customStatus: live },
      }),
    );
    expect(view.currentOperation?.progress).toEqual({
      entriesDone: 2,
      events: 7,
      lastEvents: live.timeline.slice(-5),
      released: ['primary:order-webhook'],
      working: 1,
    });
    const text = renderStatus(view);
    expect(text).toContain(
      `running: failover ${FAILOVER} (manual, since 2026-03-02T08:00:00.000Z), waiting for the split slot at 08:30:30`,
    );
    expect(text).toContain(
      '    progress: 2 entries done; 1 sub-orchestration(s) of the running group at work',
    );
    expect(text).toContain('    fences released so far (the monitor applies them): primary:order-webhook');
    expect(text).toContain('    timeline (last 5 of 7 events):');
    expect(text).toContain('      2026-03-02T08:00:08.000Z group 1: waiting for the split slot at 08:30:30');
    expect(text).not.toContain('failover requested by');
  });

  it('dr operation prints the live progress, what it waits for and until when', () => {
    const text = renderOperation({
      operationId: FAILOVER,
      runtimeStatus: 'Running',
      status: 'running',
      createdAt: '2026-03-02T08:00:00.000Z',
      updatedAt: '2026-03-02T08:00:08.000Z',
      request: {
        direction: 'failover',
        kind: 'emergency',
        trigger: 'manual',
        caller: { by: 'oncall', reason: 'x' },
      },
      live,
    });
    expect(text).toContain('  progress: 2 entries done');
    expect(text).toContain(
      '  waiting: waiting for the split slot at 08:30:30 (until 2026-03-02T08:30:30.000Z)',
    );
    expect(text).toContain('  fences released so far (the monitor applies them): primary:order-webhook');
    expect(text).toContain('  timeline (last 5 of 7 events):\n    2026-03-02T08:00:02.000Z group 0 checked');
  });
});

describe('dr status after a failed failback (findings 2 and 9)', () => {
  const held = "held: the primary's health check fails (primary:order-webhook is kept as it is)";
  const failover = record(FAILOVER, 'failover', [
    entry('order-webhook', 0, [
      step('disable', 'primary:order-webhook', 'done'),
      step('enable', 'secondary:order-webhook', 'done'),
    ]),
  ]);
  const failback = record(
    FAILBACK,
    'failback',
    [entry('order-webhook', 0, [], held), entry('invoice-sync', 0, [], held)],
    { status: 'failed', rto: { from: '2026-03-02T09:00:00.000Z', basis: 'request', measuredMs: 3_873 } },
  );
  const monitor = monitorOf(
    { mode: 'failed-over', activeRegion: 'secondary', consecutiveFailures: 30 },
    {
      lastOperation: {
        operationId: FAILBACK,
        direction: 'failback',
        trigger: 'manual',
        startedAt: '2026-03-02T09:00:00.000Z',
        finishedAt: '2026-03-02T09:00:03.873Z',
        outcome: 'failed',
      },
    },
  );
  const view = statusView(
    inputs(monitor, { lastRecord: failback, lastFailover: { instance: completedInstance(failover) } }),
  );
  const text = renderStatus(view);

  it("shows the failback's own reasons, not the earlier failover's list", () => {
    expect(view.lastOperation?.notMoved?.map((n) => n.entry)).toEqual(['order-webhook', 'invoice-sync']);
    expect(text).toContain(`  last operation: failback ${FAILBACK} failed at 2026-03-02T09:00:03.873Z`);
    expect(text).toContain(`    not moved (held): order-webhook: ${held}`);
    expect(text).toContain(`    not moved (held): invoice-sync: ${held}`);
  });

  it('prints no RTO for the failback that moved nothing, and keeps the failover RTO, labelled', () => {
    expect(view.lastOperation?.moved).toBe('none');
    expect(text).toContain(`failback ${FAILBACK} failed at 2026-03-02T09:00:03.873Z, moved nothing (no RTO)`);
    expect(text).not.toContain('PT3.873S');
    expect(text).toContain(
      `  last failover: failover ${FAILOVER} succeeded at 2026-03-02T08:01:00.000Z, RTO PT49.151S (predicted PT1M)`,
    );
  });

  it('failed over, the failure count is the primary health, not a countdown to a failover (finding 11)', () => {
    expect(text).toContain(
      '  failures: the primary failed its last 30 probe(s) in a row; the secondary is active, so none counts toward a failover',
    );
    expect(text).not.toContain('30 of 3');
  });
});

describe('dr status after a break-glass failover with fences pending (finding 3)', () => {
  const names = ['order-webhook', 'invoice-sync', 'queue-consumer'];
  const failover = record(
    FAILOVER,
    'failover',
    names.map((n) =>
      entry(n, 0, [
        step('pending-fence', `primary:${n}`, 'pending-fence', "the primary's ARM did not answer"),
        step('enable', `secondary:${n}`, 'done'),
      ]),
    ),
    { status: 'completed-with-errors' },
  );
  failover.request.override = ['no-dual-active'];
  const monitor = monitorOf(
    { mode: 'failed-over', activeRegion: 'secondary' },
    {
      lastOperation: {
        operationId: FAILOVER,
        direction: 'failover',
        trigger: 'manual',
        startedAt: '2026-03-02T08:00:00.000Z',
        finishedAt: '2026-03-02T08:01:00.000Z',
        outcome: 'completed-with-errors',
      },
      pendingFences: names.map((n) => target(`primary:${n}`)),
    },
  );
  const view = statusView(inputs(monitor, { lastRecord: failover }));
  const text = renderStatus(view);

  it('the header says both regions may run, and the override used is named', () => {
    expect(text.split('\n')[0]).toBe(
      `plan ${plan.id}: FAILED-OVER (3 FENCES PENDING: BOTH REGIONS MAY RUN), active region secondary (northeurope)`,
    );
    expect(view.moved?.override).toEqual(['no-dual-active']);
    expect(text).toContain('; override used: no-dual-active');
    expect(text).toContain('    failed-over (3 entries not fenced yet in the other region)');
  });

  it('each entry reads moved, its primary copy not fenced yet: never "not moved ... moved"', () => {
    expect(text).toContain(
      "    moved, not fenced yet: order-webhook: primary:order-webhook is not disabled yet and may still run (fenced when its region's ARM answers)",
    );
    expect(text).not.toContain('not moved (pending-fence)');
  });

  it('paused while failed over, the header shows both (finding 11)', () => {
    const paused = statusView(
      inputs(
        {
          ...monitor,
          state: { ...monitor.state, pause: { until: '2026-03-02T11:00:00.000Z', by: 'ops', reason: 'x' } },
        },
        { lastRecord: failover },
      ),
    );
    expect(paused.mode).toBe('paused');
    expect(paused.pausedMode).toBe('failed-over');
    expect(renderStatus(paused).split('\n')[0]).toBe(
      `plan ${plan.id}: FAILED-OVER (3 FENCES PENDING: BOTH REGIONS MAY RUN), PAUSED until 2026-03-02T11:00:00.000Z, active region secondary (northeurope)`,
    );
  });
});

describe('dr status during the cooldown: one threshold (finding 4)', () => {
  it('the failures line, the threshold and the predicted RTO all use the doubled threshold, and say why', () => {
    const lastFailoverAt = '2026-03-02T09:00:00.000Z';
    const until = '2026-03-02T09:30:00.000Z';
    const view = statusView(
      inputs(
        monitorOf({
          mode: 'degraded',
          consecutiveFailures: 4,
          lastFailoverAt,
          lastFailbackAt: '2026-03-02T09:05:00.000Z',
        }),
      ),
    );
    expect(view.failures).toMatchObject({
      counted: 4,
      needed: 6,
      consecutive: 4,
      cooldownUntil: until,
      policyNeeded: 3,
    });
    const text = renderStatus(view);
    expect(text).toContain(
      `  failures: 4 of 6 consecutive failed probes (the cooldown after the last failover doubles 3 until ${until})`,
    );
    expect(view.predictedRto.detectionMs).toBe(6 * 30_000 + 10_000 + 5 * 2_000);
    expect(text).toContain(
      `detection 6 failed probe(s) in a row (the cooldown doubles 3 until ${until}) x PT30S`,
    );
    expect(text).not.toMatch(/of 3 consecutive|detection 3 failed/);
    // The cooldown over: the policy's threshold again, in all of them.
    const later = statusView({
      ...inputs(monitorOf({ mode: 'degraded', consecutiveFailures: 2, lastFailoverAt })),
      now: new Date('2026-03-02T09:31:00Z'),
    });
    expect(later.failures).toMatchObject({ needed: 3 });
    expect(later.failures.cooldownUntil).toBeUndefined();
    expect(renderStatus(later)).toContain('failures: 2 of 3 consecutive failed probes\n');
    expect(later.predictedRto.detection).toMatch(/^3 failed probe\(s\) x PT30S/);
  });
});

describe('dr operation: runs to resubmit, what a stop left undone, each reason once (findings 6 and 9)', () => {
  const notRun = [
    'order-webhook',
    'order-api',
    'queue-consumer',
    'nightly-settlement',
    'invoice-sync',
    'order-poller',
  ];
  const reason = 'not run: the operation was cancelled by oncall@contoso.com (drill over)';
  const cancelled = record(
    'failback-4-20260302T100000',
    'failback',
    [
      entry('group0-a', 0, [
        step('disable', 'secondary:group0-a', 'done'),
        step('enable', 'primary:group0-a', 'done'),
      ]),
      entry(
        'group0-b',
        0,
        ['disable', 'enable', 'switch', 'verify', 'verify'].map((op) =>
          step(op, 'secondary:group0-b', 'blocked', reason),
        ),
        reason,
      ),
    ],
    {
      status: 'cancelled',
      stopped: {
        outcome: 'cancelled',
        caller: { by: 'oncall@contoso.com', reason: 'drill over' },
        at: '2026-03-02T10:00:05.000Z',
        notRun,
      },
      runsInFlight: {
        region: 'secondary',
        location: 'northeurope',
        at: '2026-03-02T10:00:01.000Z',
        runs: [
          {
            entry: 'order-webhook',
            workflow: 'order-webhook',
            runId: '0858',
            startTime: '2026-03-02T09:59:00Z',
            trigger: 'manual',
          },
        ],
        more: 2,
        unlisted: ['nightly-settlement: a Standard site; its runs are not listed'],
      },
    },
  );
  const reply = (r: OperationRecord) => ({
    operationId: r.operationId,
    runtimeStatus: 'Completed',
    status: r.status,
    createdAt: '2026-03-02T10:00:00.000Z',
    updatedAt: '2026-03-02T10:00:06.000Z',
    record: r,
  });

  it('prints the stop, the entries it left undone, and the runs to resubmit', () => {
    const text = renderOperation(reply(cancelled));
    expect(text).toContain(
      '  stopped: cancelled by oncall@contoso.com (drill over) at 2026-03-02T10:00:05.000Z',
    );
    expect(text).toContain(`  not run (the stop left them undone): ${notRun.join(', ')}`);
    expect(text).toContain(
      '  runs to resubmit: 3 run(s) were in flight in secondary (northeurope) at 2026-03-02T10:00:01.000Z:',
    );
    expect(text).toContain(
      '    order-webhook: order-webhook run 0858 started 2026-03-02T09:59:00Z by manual',
    );
    expect(text).toContain('    and 2 more (--json lists those it read)');
    expect(text).toContain('    not listed: nightly-settlement: a Standard site');
  });

  it('a blocked entry says its reason once', () => {
    const text = renderOperation(reply(cancelled));
    const line = text.split('\n').find((l) => l.includes('group0-b'))!;
    expect(line).toBe(`  group 0 group0-b: BLOCKED (${reason})`);
  });

  it('runs that could not be listed say why', () => {
    const unread = {
      ...cancelled,
      runsInFlight: {
        region: 'primary' as const,
        location: 'westeurope',
        at: '2026-03-02T10:00:01.000Z',
        runs: [],
        more: 0,
        unlisted: [],
        error: "could not list runs: the primary's ARM did not answer at planning",
      },
    };
    expect(renderOperation(reply(unread))).toContain(
      "  runs to resubmit: not known: could not list runs: the primary's ARM did not answer at planning (read the primary (westeurope) run history by hand)",
    );
  });

  it('an operation that moved nothing has no RTO', () => {
    const nothing = { ...cancelled, entries: [], runsInFlight: undefined };
    const text = renderOperation(reply(nothing));
    expect(text).toContain('  moved: NOTHING');
    expect(text).toContain('  RTO: none (nothing moved)');
    expect(text).not.toContain('RTO measured');
    // One that moved: its RTO.
    expect(renderOperation(reply({ ...cancelled, stopped: undefined, status: 'succeeded' }))).toContain(
      '  RTO measured PT49.151S (from the request), predicted PT1M',
    );
  });
});

describe('dr history: no RTO for an operation that moved nothing (finding 9)', () => {
  it('a cancelled failback that ran nothing shows none; a failover that moved shows its RTO', () => {
    const moved = record(FAILOVER, 'failover', [
      entry('order-webhook', 0, [step('enable', 'secondary:order-webhook', 'done')]),
    ]);
    const cancelled = record(FAILBACK, 'failback', [], {
      status: 'cancelled',
      rto: { from: '2026-03-02T09:00:00.000Z', basis: 'request', measuredMs: 14_154 },
    });
    const page = historyPage(
      plan.id,
      [moved, cancelled].map((r) => ({ ...completedInstance(r), name: 'drOperation' })),
      { limit: 10 },
    );
    expect(page.items.map((i) => [i.operationId, i.moved])).toEqual([
      [FAILBACK, 'none'],
      [FAILOVER, 'all'],
    ]);
    const text = renderHistory(page);
    expect(text).not.toContain('PT14.154S');
    expect(text).toContain('PT49.151S');
    expect(text.split('\n').find((l) => l.includes(FAILBACK))).toMatch(/\bnone\b/);
  });
});
