/**
 * The monitor's one pure step, driven through every path the durable scenarios take (tick, probe, start,
 * reconcile, fences, operator requests, an operation's end, failed effects), as tables of (record, input) →
 * (record, effects, reason). The effect loop in src/orchestrators/monitor.ts adds nothing but the activities.
 */
import { describe, expect, it } from 'vitest';
import { targetKey } from '../../src/core/refs';
import { testPolicy } from '../support/plans';
import fc from 'fast-check';
import { initialMonitorState, type MonitorPolicy } from '../../src/core/monitor';
import {
  ANSWER_TTL_MS,
  MAX_KEPT_ANSWERS,
  initialMonitorRecord,
  manualEvidence,
  monitorRecordOf,
  step,
  type ActiveEffect,
  type MonitorEffect,
  type MonitorStepInput,
} from '../../src/core/monitor-step';
import type { MonitorRecord, OperationRequest, Signal } from '../../src/core/monitor-record';
import type { DriftFinding } from '../../src/core/drift';
import { EVENT_TYPES } from '../../src/core/notifications';
import type { PendingSwitch, WorkflowTarget } from '../../src/core/planner';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const INTERVAL = 30_000;
const at = (ms: number) => new Date(T0 + ms);

const policy = testPolicy();

const fresh = (): MonitorRecord => initialMonitorRecord('plan-a', policy, INTERVAL);
const tick = (ms: number, p: MonitorPolicy = policy): MonitorStepInput => ({
  type: 'signal',
  signal: { kind: 'tick', id: `tick-${ms}`, at: at(ms).toISOString(), policy: p, probeIntervalMs: INTERVAL },
});
const probed = (ms: number, healthy: boolean): MonitorStepInput => ({
  type: 'probed',
  result: {
    at: at(ms).toISOString(),
    healthy,
    latencyMs: 5,
    ...(healthy ? { status: 200 } : { failure: 'timeout' as const }),
  },
});
const signal = (s: Signal): MonitorStepInput => ({ type: 'signal', signal: s });
const target = (label: string): WorkflowTarget =>
  ({ label, region: 'primary', name: label }) as unknown as WorkflowTarget;
const caller = { by: 'ops@contoso', reason: 'test' };
const manual = (
  direction: 'failover' | 'failback',
  extra: Partial<OperationRequest> = {},
): OperationRequest => ({
  direction,
  kind: direction === 'failover' ? 'emergency' : 'planned',
  trigger: 'manual',
  caller,
  override: [],
  ...extra,
});

/** The record with a manual failback `fb` running since T0. */
const failbackRunning = (r: MonitorRecord): MonitorRecord => ({
  ...r,
  activeOperation: {
    operationId: 'fb',
    direction: 'failback',
    trigger: 'manual',
    startedAt: at(0).toISOString(),
  },
});

const types = (effects: MonitorEffect[]) =>
  effects.map((e) =>
    e.type === 'notify' ? `notify ${e.notification.type.split('.').slice(-2).join('.')}` : e.type,
  );

/**
 * Plays the effect loop without activities: each effect's result comes from `results` (a function of the
 * effect), notifications are collected. Returns the final record and everything that happened.
 */
function cycle(
  record: MonitorRecord,
  input: MonitorStepInput,
  ms: number,
  results: (e: ActiveEffect) => MonitorStepInput,
) {
  let out = step(record, input, at(ms));
  const done: string[] = [];
  const reasons = [out.reason];
  let queue = out.effects;
  let current = out.record;
  while (queue.length) {
    const [effect, ...rest] = queue as [MonitorEffect, ...MonitorEffect[]];
    done.push(...types([effect]));
    if (effect.type === 'notify' || effect.type === 'record-request') {
      queue = rest;
      continue;
    }
    out = step(current, results(effect), at(ms));
    reasons.push(out.reason);
    current = out.record;
    queue = [...out.effects, ...rest];
  }
  return { record: current, done, reasons };
}

/** An estate where every activity works: probes as given, starts succeed, fences apply. */
const working =
  (healthy: boolean, finished?: { outcome: 'succeeded' | 'failed'; pendingFences: WorkflowTarget[] }) =>
  (e: ActiveEffect): MonitorStepInput => {
    switch (e.type) {
      case 'probe':
        return probed(Date.parse(e.at) - T0, healthy);
      case 'start-operation':
        return { type: 'operation-started', operationId: e.input.operationId };
      case 'operation-status':
        return {
          type: 'operation-status',
          operationId: e.operationId,
          progress: finished
            ? { finished: true, runtimeStatus: 'Completed', ...finished }
            : { finished: false, runtimeStatus: 'Running' },
        };
      case 'apply-fences':
        return { type: 'fences-applied', result: { applied: e.targets, pending: [], errors: [] } };
      case 'apply-switches':
        return { type: 'switches-applied', result: { applied: e.switches, pending: [], errors: [] } };
      case 'cancel-operation':
        return { type: 'cancel-sent', operationId: e.operationId };
      case 'check-drift':
        return {
          type: 'drift-checked',
          result: { operationId: e.operationId, checked: 0, drift: [], unreadable: [] },
        };
    }
  };

/** Ticks once per interval from `fromMs`, each probe with the given outcome. */
function run(record: MonitorRecord, outcomes: boolean[], fromMs = 0) {
  let r = record;
  const log: { done: string[]; reasons: string[] }[] = [];
  outcomes.forEach((failed, i) => {
    const ms = fromMs + i * INTERVAL;
    const c = cycle(r, tick(ms), ms, working(!failed));
    r = c.record;
    log.push(c);
  });
  return { record: r, log };
}

describe('the monitor record', () => {
  it('is refused without a policy (the watchdog always gives one): fail fast, naming the plan', () => {
    const { policy: _none, ...noPolicy } = fresh();
    expect(() => monitorRecordOf(noPolicy)).toThrow(/monitor record of plan plan-a has no policy/);
    expect(() => monitorRecordOf(undefined)).toThrow(/without a record/);
    expect(monitorRecordOf(fresh())).toEqual(fresh());
  });
});

describe('a tick', () => {
  it('takes the policy, then one probe per probe-interval cycle: a duplicate or late tick probes nothing', () => {
    const first = step(fresh(), tick(0), at(0));
    expect(types(first.effects)).toEqual(['probe']);
    expect(first.record).toMatchObject({ lastProbeCycle: T0 / INTERVAL, lastTickAt: at(0).toISOString() });
    const again = step(first.record, tick(10_000), at(10_000));
    expect(again.effects).toEqual([]);
    expect(again.reason).toMatch(/has run already/);
    const stricter = { ...policy, failureThreshold: 5 };
    expect(step(first.record, tick(10_000, stricter), at(10_000)).record.policy).toEqual(stricter);
    expect(types(step(first.record, tick(INTERVAL), at(INTERVAL)).effects)).toEqual(['probe']);
  });

  it('asks an operation that has run longer than a probe interval whether it is over, before the probe', () => {
    const r: MonitorRecord = {
      ...fresh(),
      state: { ...initialMonitorState(), mode: 'failing-over' },
      activeOperation: {
        operationId: 'op1',
        direction: 'failover',
        trigger: 'manual',
        startedAt: at(0).toISOString(),
      },
    };
    expect(types(step(r, tick(INTERVAL), at(INTERVAL)).effects)).toEqual(['probe']);
    expect(step(r, tick(2 * INTERVAL), at(2 * INTERVAL)).effects).toEqual([
      { type: 'operation-status', planId: 'plan-a', operationId: 'op1' },
      { type: 'probe', at: at(2 * INTERVAL).toISOString() },
    ]);
  });
});

describe('probe cycles', () => {
  it('healthy: nothing to say, the cycle says so', () => {
    const { record, log } = run(fresh(), [false, false]);
    expect(log.map((l) => l.done)).toEqual([['probe'], ['probe']]);
    expect(record.lastCycle).toEqual({ at: at(INTERVAL).toISOString(), reason: 'primary healthy' });
  });

  it('first failure: degraded notice with the evidence and the monitor as it is now', () => {
    const out = cycle(fresh(), tick(0), 0, working(false));
    expect(out.done).toEqual(['probe', 'notify health.degraded']);
    const notice = step(step(fresh(), tick(0), at(0)).record, probed(0, false), at(0)).effects[0]!;
    expect(notice).toMatchObject({
      type: 'notify',
      notification: {
        type: EVENT_TYPES.healthDegraded,
        planId: 'plan-a',
        correlationId: 'monitor-plan-a',
        messageId: `plan-a:degraded:${T0 / INTERVAL}`,
        time: at(0).toISOString(),
        data: {
          evidence: { consecutiveFailures: 1, firstFailureAt: at(0).toISOString() },
          monitor: { mode: 'degraded', activeRegion: 'primary', consecutiveFailures: 1, policy },
        },
      },
    });
  });

  it('window mode: the automatic failover says how many of the last probes failed, not how many in a row', () => {
    const { failureThreshold: _none, ...rest } = policy;
    const windowed: MonitorPolicy = { ...rest, window: { failures: 3, of: 5 } };
    let r = initialMonitorRecord('plan-a', windowed, INTERVAL);
    let decided: ReturnType<typeof step> | undefined;
    [true, false, true, false, true].forEach((failed, i) => {
      const ms = i * INTERVAL;
      decided = step(step(r, tick(ms, windowed), at(ms)).record, probed(ms, !failed), at(ms));
      r = decided.record;
    });
    expect(r.state.mode).toBe('failing-over');
    const effect = decided!.effects.find((e) => e.type === 'start-operation');
    expect(effect?.type === 'start-operation' && effect.input.request.caller).toEqual({
      by: 'automatic',
      reason: 'primary health check failed: 3 of the last 5 probes failed',
    });
  });

  it('threshold: the failover starts with the automatic request and the evidence; the record has it active', () => {
    const { record, log } = run(fresh(), [true, true, true]);
    expect(log[2]!.done).toEqual(['probe', 'start-operation']);
    expect(log[2]!.reasons).toContain('failover starts: 3 failed probe(s) in a row (fails over at 3)');
    const start = step(run(fresh(), [true, true]).record, tick(2 * INTERVAL), at(2 * INTERVAL));
    const decided = step(start.record, probed(2 * INTERVAL, false), at(2 * INTERVAL));
    const effect = decided.effects.find((e) => e.type === 'start-operation')!;
    expect(effect).toEqual({
      type: 'start-operation',
      input: {
        planId: 'plan-a',
        operationId: 'failover-1-20260101T000100',
        request: {
          direction: 'failover',
          kind: 'emergency',
          trigger: 'automatic',
          caller: { by: 'automatic', reason: 'primary health check failed (3 in a row)' },
          override: [],
        },
        evidence: expect.objectContaining({ consecutiveFailures: 3, firstFailureAt: at(0).toISOString() }),
        policy,
        probeIntervalMs: INTERVAL,
        requestedAt: at(2 * INTERVAL).toISOString(),
      },
    });
    expect(record).toMatchObject({
      operationSeq: 1,
      state: { mode: 'failing-over' },
      activeOperation: {
        operationId: 'failover-1-20260101T000100',
        direction: 'failover',
        trigger: 'automatic',
      },
    });
  });

  it('threshold with automatic failover off: withheld once, never started', () => {
    // The tick brings the plan's policy: play it with automatic failover off throughout.
    let r: MonitorRecord = fresh();
    const off = { ...policy, automaticFailover: false };
    const done: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const c = cycle(r, tick(i * INTERVAL, off), i * INTERVAL, working(false));
      r = c.record;
      done.push(c.done);
    }
    expect(done).toEqual([
      ['probe', 'notify health.degraded'],
      ['probe'],
      ['probe', 'notify failover.withheld'],
      ['probe'],
    ]);
    expect(r.activeOperation).toBeUndefined();
  });

  it('recovery below the threshold: health.recovered once the streak is back', () => {
    const { log } = run(fresh(), [true, false, false, false]);
    expect(log.map((l) => l.done)).toEqual([
      ['probe', 'notify health.degraded'],
      ['probe'],
      ['probe'],
      ['probe', 'notify health.recovered'],
    ]);
  });

  it('a probe activity that failed is a failed probe (class error, its message as detail)', () => {
    const r = step(fresh(), tick(0), at(0)).record;
    const out = step(
      r,
      { type: 'effect-failed', effect: { type: 'probe', at: at(0).toISOString() }, error: 'boom' },
      at(0),
    );
    expect(out.record.state.recentProbes.at(-1)).toEqual({
      at: at(0).toISOString(),
      healthy: false,
      latencyMs: 0,
      failure: 'error',
      detail: 'boom',
    });
    expect(types(out.effects)).toEqual(['notify health.degraded']);
  });
});

describe('an operation ends', () => {
  const failingOver = (): MonitorRecord => run(fresh(), [true, true, true]).record;
  const opId = 'failover-1-20260101T000100';
  const finished = (
    outcome: 'succeeded' | 'failed',
    pendingFences: WorkflowTarget[] = [],
  ): MonitorStepInput =>
    signal({
      kind: 'operation-finished',
      id: `${opId}:finished`,
      operationId: opId,
      direction: 'failover',
      outcome,
      pendingFences,
    });

  it('by its signal: the slot is free, the fences it left pending are kept, the mode follows the outcome', () => {
    const out = step(failingOver(), finished('succeeded', [target('primary:a')]), at(4 * INTERVAL));
    expect(out.record.activeOperation).toBeUndefined();
    expect(out.record.lastOperation).toMatchObject({
      operationId: opId,
      outcome: 'succeeded',
      finishedAt: at(4 * INTERVAL).toISOString(),
    });
    expect(out.record.state).toMatchObject({ mode: 'failed-over', activeRegion: 'secondary' });
    expect(out.record.pendingFences.map((t) => t.label)).toEqual(['primary:a']);
    const failed = step(failingOver(), finished('failed'), at(4 * INTERVAL));
    expect(failed.record.state.mode).toBe('degraded');
  });

  it('a signal for another operation (or a second one) changes nothing', () => {
    const r = failingOver();
    const other = step(
      r,
      signal({
        kind: 'operation-finished',
        id: 'x',
        operationId: 'op-x',
        direction: 'failover',
        outcome: 'succeeded',
        pendingFences: [],
      }),
      at(0),
    );
    expect(other.record).toEqual(r);
    const once = step(r, finished('succeeded'), at(0)).record;
    expect(step(once, finished('succeeded'), at(0)).record).toEqual(once);
  });

  it('by reconciliation: a finished status does what the signal does; a running one nothing', () => {
    const r = failingOver();
    const ms = 3 * INTERVAL + 2 * INTERVAL;
    const over = cycle(
      r,
      tick(ms),
      ms,
      working(false, { outcome: 'succeeded', pendingFences: [target('primary:b')] }),
    );
    // Failed over with nothing running: the first drift check follows the operation's end at once.
    expect(over.done).toEqual([
      'operation-status',
      'probe',
      'apply-fences',
      'notify fence.applied',
      'check-drift',
    ]);
    expect(over.record).toMatchObject({ state: { mode: 'failed-over' }, pendingFences: [] });
    const still = cycle(r, tick(ms), ms, working(false));
    expect(still.done).toEqual(['operation-status', 'probe']);
    expect(still.record.activeOperation?.operationId).toBe(opId);
  });

  it('a failback that did not fail clears the pending fences; one that failed keeps them', () => {
    const r: MonitorRecord = {
      ...fresh(),
      state: { ...initialMonitorState(), mode: 'failing-back', activeRegion: 'secondary' },
      pendingFences: [target('primary:a')],
      activeOperation: {
        operationId: 'fb',
        direction: 'failback',
        trigger: 'manual',
        startedAt: at(0).toISOString(),
      },
    };
    const end = (outcome: 'succeeded' | 'failed') =>
      step(
        r,
        signal({
          kind: 'operation-finished',
          id: 'fb:finished',
          operationId: 'fb',
          direction: 'failback',
          outcome,
          pendingFences: [],
        }),
        at(0),
      ).record;
    expect(end('succeeded')).toMatchObject({
      pendingFences: [],
      state: { mode: 'monitoring', activeRegion: 'primary' },
    });
    expect(end('failed')).toMatchObject({
      pendingFences: [target('primary:a')],
      state: { mode: 'failed-over' },
    });
  });
});

describe('pending fences', () => {
  const withFences = (): MonitorRecord => ({
    ...fresh(),
    state: { ...initialMonitorState(), mode: 'failed-over', activeRegion: 'secondary' },
    pendingFences: [target('primary:a'), target('primary:b')],
  });

  it('are tried every cycle with no operation running, healthy or not; applied ones are notified', () => {
    const r = step(withFences(), tick(0), at(0)).record;
    const afterProbe = step(r, probed(0, false), at(0));
    expect(afterProbe.effects).toEqual([{ type: 'apply-fences', targets: withFences().pendingFences }]);
    const applied = step(
      afterProbe.record,
      {
        type: 'fences-applied',
        result: { applied: [target('primary:a')], pending: [target('primary:b')], errors: ['b: 503'] },
      },
      at(0),
    );
    expect(applied.record.pendingFences.map((t) => t.label)).toEqual(['primary:b']);
    expect(applied.effects).toMatchObject([
      {
        type: 'notify',
        notification: {
          type: EVENT_TYPES.fenceApplied,
          messageId: `plan-a:fence:${T0 / INTERVAL}`,
          data: { applied: ['primary:a'], stillPending: ['primary:b'], errors: ['b: 503'] },
        },
      },
    ]);
    const none = step(
      afterProbe.record,
      { type: 'fences-applied', result: { applied: [], pending: withFences().pendingFences, errors: [] } },
      at(0),
    );
    expect(none.effects).toEqual([]);
  });

  it('those a running operation released are applied while it runs, only those, and not handed over twice (issue 22 §6)', () => {
    const keyed = (label: string) => ({ ...target(label), key: label });
    const earlier = [keyed('primary:old')];
    const running: MonitorRecord = {
      ...fresh(),
      state: { ...initialMonitorState(), mode: 'failing-over', lastFailoverAt: at(0).toISOString() },
      pendingFences: earlier,
      activeOperation: {
        operationId: 'op',
        direction: 'failover',
        trigger: 'manual',
        startedAt: at(0).toISOString(),
      },
    };
    const split = keyed('primary:split');
    const webhook = keyed('primary:webhook');
    // The operation is done with the split entry: its fence is released; the webhook is still being worked on.
    const ms = 2 * INTERVAL;
    const applyOnly: MonitorEffect[] = [];
    const c = cycle(running, tick(ms), ms, (e) => {
      if (e.type === 'operation-status')
        return {
          type: 'operation-status',
          operationId: 'op',
          progress: { finished: false, runtimeStatus: 'Running', pendingFences: [split] },
        };
      if (e.type === 'apply-fences') {
        applyOnly.push(e);
        return {
          type: 'fences-applied',
          result: { applied: e.targets, pending: [], errors: [] },
          during: e.during,
        };
      }
      return working(false)(e);
    });
    expect(c.done).toEqual(['operation-status', 'probe', 'apply-fences', 'notify fence.applied']);
    // Only the released fence: the one an earlier operation left waits for this one to end.
    expect(applyOnly).toEqual([{ type: 'apply-fences', targets: [split], during: 'op' }]);
    expect(c.record.pendingFences).toEqual(earlier);
    expect(c.record.operationFences).toEqual({ operationId: 'op', pending: [], applied: [targetKey(split)] });
    // The next cycle the operation still lists it (and now the webhook): only the webhook is new.
    const next = step(
      c.record,
      {
        type: 'operation-status',
        operationId: 'op',
        progress: { finished: false, runtimeStatus: 'Running', pendingFences: [split, webhook] },
      },
      at(3 * INTERVAL),
    );
    expect(next.record.operationFences?.pending).toEqual([webhook]);
    // It ends listing both: the applied one is not handed over again; the rest joins the earlier ones.
    const done = step(
      next.record,
      signal({
        kind: 'operation-finished',
        id: 'op:finished',
        operationId: 'op',
        direction: 'failover',
        outcome: 'succeeded',
        pendingFences: [split, webhook],
      }),
      at(4 * INTERVAL),
    );
    expect(done.record.pendingFences).toEqual([...earlier, { ...webhook, since: at(0).toISOString() }]);
    expect(done.record.operationFences).toBeUndefined();
    // Nothing released: nothing applied while it runs.
    expect(cycle(running, tick(ms), ms, working(false)).done).toEqual(['operation-status', 'probe']);
  });

  it('are tried before a failback starts, which holds them while it runs (issue 22 §2: a split slot ran twice)', () => {
    const r: MonitorRecord = {
      ...withFences(),
      state: { ...withFences().state, consecutiveSuccesses: 5, primaryHealthySince: at(0).toISOString() },
    };
    const out = step(
      r,
      signal({ kind: 'request-operation', id: 'fb', request: manual('failback', { force: true }) }),
      at(0),
    );
    expect(types(out.effects)).toEqual(['apply-fences', 'start-operation', 'record-request']);
    expect(out.effects[0]).toEqual({ type: 'apply-fences', targets: r.pendingFences });
    // A failover starts at once: its own plan fences what it moves.
    const failover = step(
      { ...r, state: initialMonitorState() },
      signal({ kind: 'request-operation', id: 'fo', request: manual('failover') }),
      at(0),
    );
    expect(types(failover.effects)).toEqual(['start-operation', 'record-request']);
  });

  it('wait while an operation runs, and a failed application changes nothing', () => {
    const running = failbackRunning({
      ...withFences(),
      state: { ...withFences().state, mode: 'failing-back' },
    });
    expect(cycle(running, tick(0), 0, working(true)).done).toEqual(['probe']);
    const r = withFences();
    const failed = step(
      r,
      {
        type: 'effect-failed',
        effect: { type: 'apply-fences', targets: r.pendingFences },
        error: 'ARM down',
      },
      at(0),
    );
    expect(failed.record).toEqual(r);
    expect(failed.reason).toMatch(/could not be applied \(ARM down\)/);
  });
});

describe('pending switches', () => {
  const sw = (router: string, to: 'primary' | 'secondary'): PendingSwitch => ({
    router: { kind: 'apiManagement', key: router, label: `apiManagement ${router}` },
    target: target(`${to}:orders-api`),
    to,
  });
  const failedOver = (): MonitorRecord => ({
    ...fresh(),
    state: { ...initialMonitorState(), mode: 'failed-over', activeRegion: 'secondary' },
    pendingSwitches: [sw('apim/a', 'secondary')],
  });
  const ending = (direction: 'failover' | 'failback', pendingSwitches: PendingSwitch[]) => ({
    record: {
      ...failedOver(),
      state: {
        ...initialMonitorState(),
        mode: direction === 'failover' ? ('failing-over' as const) : ('failing-back' as const),
        activeRegion: 'secondary' as const,
      },
      activeOperation: {
        operationId: 'op',
        direction,
        trigger: 'manual' as const,
        startedAt: at(0).toISOString(),
      },
    },
    end: (outcome: 'succeeded' | 'failed') =>
      signal({
        kind: 'operation-finished',
        id: 'op:finished',
        operationId: 'op',
        direction,
        outcome,
        pendingFences: [],
        pendingSwitches,
      }),
  });

  it('are made every cycle with no operation running, after the fences; what is left stays pending', () => {
    const r = { ...failedOver(), pendingFences: [target('primary:a')] };
    const afterProbe = step(step(r, tick(0), at(0)).record, probed(0, false), at(0));
    expect(afterProbe.effects).toEqual([
      { type: 'apply-fences', targets: r.pendingFences },
      { type: 'apply-switches', switches: r.pendingSwitches },
    ]);
    const made = step(
      afterProbe.record,
      { type: 'switches-applied', result: { applied: r.pendingSwitches!, pending: [], errors: [] } },
      at(0),
    );
    expect(made.record.pendingSwitches).toEqual([]);
    expect(made.reason).toMatch(/1 pending switch\(es\) made: apiManagement apim\/a -> secondary:orders-api/);
    const silent = step(
      afterProbe.record,
      {
        type: 'switches-applied',
        result: { applied: [], pending: r.pendingSwitches!, errors: ['apim: no answer'] },
      },
      at(0),
    );
    expect(silent.record.pendingSwitches).toEqual(r.pendingSwitches);
    expect(silent.reason).toMatch(/still pending \(apim: no answer\)/);
  });

  it('wait while an operation runs, and a failed activity changes nothing', () => {
    const running = failbackRunning(failedOver());
    expect(cycle(running, tick(0), 0, working(true)).done).toEqual(['probe']);
    const r = failedOver();
    const failed = step(
      r,
      {
        type: 'effect-failed',
        effect: { type: 'apply-switches', switches: r.pendingSwitches! },
        error: 'down',
      },
      at(0),
    );
    expect(failed.record).toEqual(r);
    expect(failed.reason).toMatch(/could not be made \(down\): tried again next cycle/);
  });

  it("an operation's end keeps its own; a router's newer switch replaces its older one", () => {
    const { record, end } = ending('failover', [sw('apim/b', 'secondary'), sw('apim/a', 'secondary')]);
    const out = step(record, end('succeeded'), at(0)).record;
    expect(out.pendingSwitches?.map((s) => s.router.key)).toEqual(['apim/b', 'apim/a']);
  });

  it('a failback that did not fail drops the switches towards the secondary; one that failed keeps them', () => {
    const { record, end } = ending('failback', [sw('apim/b', 'primary')]);
    expect(step(record, end('succeeded'), at(0)).record.pendingSwitches).toEqual([sw('apim/b', 'primary')]);
    expect(step(record, end('failed'), at(0)).record.pendingSwitches).toEqual([
      sw('apim/a', 'secondary'),
      sw('apim/b', 'primary'),
    ]);
  });
});

describe('operator requests', () => {
  const request = (id: string, r: OperationRequest, fingerprint?: string): MonitorStepInput =>
    signal({ kind: 'request-operation', id, request: r, ...(fingerprint ? { fingerprint } : {}) });

  it('an accepted failover: answered with its id, started with the manual evidence, the request as given', () => {
    const degraded = run(fresh(), [true]).record;
    const out = step(degraded, request('req-1', manual('failover'), 'fp-1'), at(INTERVAL));
    expect(out.record.answers).toEqual([
      {
        id: 'req-1',
        status: 'accepted',
        operationId: 'failover-1-20260101T000030',
        fingerprint: 'fp-1',
        at: at(INTERVAL).toISOString(),
      },
    ]);
    expect(out.effects).toEqual([
      {
        type: 'start-operation',
        input: expect.objectContaining({
          operationId: 'failover-1-20260101T000030',
          request: manual('failover'),
          evidence: manualEvidence(degraded.state),
        }),
      },
      {
        type: 'record-request',
        request: {
          requestId: 'req-1',
          planId: 'plan-a',
          request: 'failover',
          at: at(INTERVAL).toISOString(),
          seq: degraded.executions,
          by: manual('failover').caller.by,
          reason: manual('failover').caller.reason,
          answer: 'accepted',
          operationId: 'failover-1-20260101T000030',
          kind: manual('failover').kind,
          override: [],
        },
      },
    ]);
    expect(out.record.state.mode).toBe('failing-over');
  });

  it('manual evidence without a failed probe has an empty firstFailureAt (the RTO counts from the request)', () => {
    const healthy = run(fresh(), [false]).record;
    expect(manualEvidence(healthy.state)).toEqual({
      firstFailureAt: '',
      consecutiveFailures: 0,
      recentProbes: healthy.state.recentProbes,
    });
  });

  it('a second request while one runs: conflict with the running one; a repeat: its first answer, unchanged', () => {
    const accepted = step(fresh(), request('req-1', manual('failover'), 'fp-1'), at(0)).record;
    const second = step(accepted, request('req-2', manual('failover')), at(0));
    expect(second.record.answers.at(-1)).toEqual({
      id: 'req-2',
      status: 'conflict',
      operationId: 'failover-1-20260101T000000',
      reason: 'failover failover-1-20260101T000000 is in progress',
      at: at(0).toISOString(),
    });
    // The conflict is kept for the audit, with who asked and why.
    expect(second.effects).toEqual([
      {
        type: 'record-request',
        request: expect.objectContaining({
          requestId: 'req-2',
          request: 'failover',
          answer: 'conflict',
          answerReason: 'failover failover-1-20260101T000000 is in progress',
          operationId: 'failover-1-20260101T000000',
          by: manual('failover').caller.by,
        }),
      },
    ]);
    const repeat = step(accepted, request('req-1', manual('failover'), 'fp-other'), at(0));
    expect(repeat.record).toEqual(accepted);
    expect(repeat.effects).toEqual([]);
  });

  it('refused: nothing to fail back (the record is unchanged but for the answer)', () => {
    const out = step(fresh(), request('req-1', manual('failback', { force: true })), at(0));
    expect(out.record).toEqual({
      ...fresh(),
      answers: [
        {
          id: 'req-1',
          status: 'refused',
          reason: 'nothing to fail back: the monitor is monitoring',
          at: at(0).toISOString(),
        },
      ],
    });
  });

  it('answers are kept a day, not fifty: after a storm of 200 requests the first key gets its first answer', () => {
    let r = step(fresh(), request('first', manual('failover'), 'fp-first'), at(0)).record;
    const first = r.answers[0]!;
    for (let i = 0; i < 200; i++)
      r = step(r, request(`storm-${i}`, manual('failover')), at(i * 1_000)).record;
    expect(r.answers).toHaveLength(201);
    const repeat = step(r, request('first', manual('failover'), 'fp-first'), at(300_000));
    expect(repeat.effects).toEqual([]);
    expect(repeat.record).toEqual(r);
    expect(repeat.record.answers.find((a) => a.id === 'first')).toEqual(first);
    expect(repeat.record.operationSeq).toBe(1);
  });

  it('answers older than a day are dropped (at the next tick or answer); the count bound sheds only answers that started nothing', () => {
    let r = step(fresh(), request('first', manual('failover')), at(0)).record;
    for (let i = 0; i < MAX_KEPT_ANSWERS + 10; i++)
      r = step(r, request(`storm-${i}`, manual('failover')), at(1_000)).record;
    // The accepted answer outlives the bound; the oldest answers that started nothing went first.
    expect(r.answers).toHaveLength(MAX_KEPT_ANSWERS + 1);
    expect(r.answers[0]).toMatchObject({ id: 'first', status: 'accepted' });
    expect(r.answers[1]).toMatchObject({ id: 'storm-10' });
    // A day later the next tick drops them all.
    const later = step(r, tick(ANSWER_TTL_MS + 2_000), at(ANSWER_TTL_MS + 2_000)).record;
    expect(later.answers).toEqual([]);
    // Just inside the day, they stay.
    expect(step(r, tick(ANSWER_TTL_MS - 1), at(ANSWER_TTL_MS - 1)).record.answers).toHaveLength(
      MAX_KEPT_ANSWERS + 1,
    );
  });

  it('a pause that runs out by itself is said as monitor.resumed by expiry, once, at the first probe after it', () => {
    const until = at(60_000).toISOString();
    const paused = step(fresh(), signal({ kind: 'pause', id: 'p1', until, caller }), at(0)).record;
    const before = step(
      step(paused, tick(INTERVAL), at(INTERVAL)).record,
      probed(INTERVAL, true),
      at(INTERVAL),
    );
    expect(before.effects).toEqual([]);
    const ticked = step(before.record, tick(3 * INTERVAL), at(3 * INTERVAL)).record;
    const after = step(ticked, probed(3 * INTERVAL, true), at(3 * INTERVAL));
    expect(after.record.state.pause).toBeUndefined();
    expect(after.effects).toMatchObject([
      {
        type: 'notify',
        notification: {
          type: EVENT_TYPES.resumed,
          messageId: `plan-a:expired:${until}`,
          data: {
            caller: { by: 'expiry', reason: `the pause until ${until} by ops@contoso (test) ran out` },
          },
        },
      },
      // And in the requests history (GET /api/requests): a resume by expiry, naming the pause it ended.
      {
        type: 'record-request',
        request: {
          request: 'resume',
          by: 'expiry',
          answer: 'applied',
          endedPause: { until, by: 'ops@contoso', reason: 'test' },
        },
      },
    ]);
    expect(after.effects).toHaveLength(2);
    const next = step(
      step(after.record, tick(4 * INTERVAL), at(4 * INTERVAL)).record,
      probed(4 * INTERVAL, true),
      at(4 * INTERVAL),
    );
    expect(next.effects).toEqual([]);
    // Noticed by an operator's request instead: said the same way, before the request's own effect.
    const resumed = step(paused, signal({ kind: 'resume', id: 'r1', caller }), at(2 * INTERVAL));
    expect(
      resumed.effects.map((e) =>
        e.type === 'notify' ? e.notification.data : e.type === 'record-request' ? e.request : e.type,
      ),
    ).toMatchObject([
      { caller: { by: 'expiry' } },
      { request: 'resume', by: 'expiry' },
      { caller },
      // The audit: the resume found the pause already over, so it ended none.
      { request: 'resume', answer: 'applied', by: caller.by },
    ]);
    expect(resumed.effects.at(-1)).not.toHaveProperty('request.endedPause');
  });

  it('a request at the moment a pause expires is judged, not refused as unjudgeable', () => {
    const paused: MonitorRecord = {
      ...fresh(),
      state: { ...initialMonitorState(), pause: { until: at(0).toISOString(), by: 'x', reason: 'y' } },
    };
    const out = step(paused, request('req-1', manual('failover')), at(1));
    expect(out.record.answers[0]).toMatchObject({ status: 'accepted' });
  });

  it('pause and resume: applied and notified with the caller, or refused with the rule', () => {
    const until = at(60 * 60_000).toISOString();
    const paused = step(fresh(), signal({ kind: 'pause', id: 'p1', until, caller }), at(0));
    expect(paused.record.answers).toEqual([{ id: 'p1', status: 'applied', at: at(0).toISOString() }]);
    expect(paused.record.state.pause).toEqual({ until, by: caller.by, reason: caller.reason });
    expect(paused.effects).toMatchObject([
      { notification: { type: EVENT_TYPES.paused, messageId: 'plan-a:pause:p1', data: { caller, until } } },
      {
        type: 'record-request',
        request: {
          requestId: 'p1',
          planId: 'plan-a',
          request: 'pause',
          at: at(0).toISOString(),
          seq: 0,
          by: caller.by,
          reason: caller.reason,
          answer: 'applied',
          until,
        },
      },
    ]);
    const resumed = step(paused.record, signal({ kind: 'resume', id: 'r1', caller }), at(0));
    expect(resumed.record.state.pause).toBeUndefined();
    expect(resumed.effects).toMatchObject([
      { notification: { type: EVENT_TYPES.resumed, data: { caller } } },
      {
        type: 'record-request',
        request: {
          request: 'resume',
          answer: 'applied',
          endedPause: { until, by: caller.by, reason: caller.reason },
        },
      },
    ]);
    const tooLong = step(
      fresh(),
      signal({ kind: 'pause', id: 'p2', until: at(9 * 3_600_000).toISOString(), caller }),
      at(0),
    );
    expect(tooLong.record.answers[0]).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/maxPause/),
    });
    expect(tooLong.record.state).toEqual(fresh().state);
    // Refused: nothing changes, and the audit keeps who asked, why, and the rule that refused it.
    expect(tooLong.effects).toEqual([
      {
        type: 'record-request',
        request: {
          requestId: 'p2',
          planId: 'plan-a',
          request: 'pause',
          at: at(0).toISOString(),
          seq: 0,
          by: caller.by,
          reason: caller.reason,
          answer: 'refused',
          answerReason:
            tooLong.record.answers[0]!.status === 'refused' ? tooLong.record.answers[0]!.reason : '',
          until: at(9 * 3_600_000).toISOString(),
        },
      },
    ]);
  });
});

describe('a failed start', () => {
  const decided = () => {
    const r = run(fresh(), [true, true]).record;
    const t = step(r, tick(2 * INTERVAL), at(2 * INTERVAL)).record;
    return step(t, probed(2 * INTERVAL, false), at(2 * INTERVAL));
  };

  it('keeps the operation active, records why, and starts the same operation again on the next cycle', () => {
    const d = decided();
    const start = d.effects.find((e) => e.type === 'start-operation')!;
    const failed = step(
      d.record,
      {
        type: 'effect-failed',
        effect: start as ActiveEffect,
        error: 'hub busy',
      },
      at(2 * INTERVAL),
    );
    const id = 'failover-1-20260101T000100';
    expect(failed.record).toMatchObject({
      activeOperation: { operationId: id },
      unstarted: { failedAttempts: 1, error: 'hub busy', input: { operationId: id } },
      state: { mode: 'failing-over' },
    });
    expect(failed.reason).toBe(
      `the failover ${id} could not be started (hub busy): it is started again next probe cycle`,
    );
    // A duplicate tick in the same cycle does not retry; the next cycle does, before its probe.
    expect(step(failed.record, tick(2 * INTERVAL + 1), at(2 * INTERVAL + 1)).effects).toEqual([]);
    const next = step(failed.record, tick(3 * INTERVAL), at(3 * INTERVAL));
    expect(next.effects).toEqual([
      { type: 'start-operation', input: failed.record.unstarted!.input },
      { type: 'probe', at: at(3 * INTERVAL).toISOString() },
    ]);
    // Failing again counts; the probe cycle says it is still not started; success clears it.
    const again = step(
      next.record,
      {
        type: 'effect-failed',
        effect: next.effects[0] as ActiveEffect,
        error: 'hub busy',
      },
      at(3 * INTERVAL),
    );
    expect(again.record.unstarted?.failedAttempts).toBe(2);
    const probedAfter = step(again.record, probed(3 * INTERVAL, false), at(3 * INTERVAL));
    expect(probedAfter.record.lastCycle?.reason).toMatch(
      /could not be started yet \(2 failed start\(s\), last: hub busy\)/,
    );
    expect(probedAfter.effects).toEqual([]); // no fences, no second start: an operation is active
    const ok = step(probedAfter.record, { type: 'operation-started', operationId: id }, at(4 * INTERVAL));
    expect(ok.record.unstarted).toBeUndefined();
    expect(ok.record.activeOperation?.operationId).toBe(id);
  });

  it('a manual request meanwhile is answered with the operation that is not started yet', () => {
    const d = decided();
    const start = d.effects.find((e) => e.type === 'start-operation') as ActiveEffect;
    const failed = step(
      d.record,
      { type: 'effect-failed', effect: start, error: 'x' },
      at(2 * INTERVAL),
    ).record;
    const out = step(
      failed,
      signal({ kind: 'request-operation', id: 'req', request: manual('failover') }),
      at(2 * INTERVAL),
    );
    expect(out.record.answers.at(-1)).toMatchObject({
      status: 'conflict',
      operationId: 'failover-1-20260101T000100',
    });
  });

  it('a status that could not be read changes nothing (asked again next cycle)', () => {
    const r = decided().record;
    const out = step(
      r,
      {
        type: 'effect-failed',
        effect: { type: 'operation-status', planId: 'plan-a', operationId: 'x' },
        error: 'e',
      },
      at(0),
    );
    expect(out.record).toEqual(r);
  });
});

describe('one answer to "does an operation run"', () => {
  it('the mode is failing-over or failing-back exactly while the record has an active operation (property)', () => {
    const inputArb = fc.oneof(
      fc.boolean().map((failed) => ({ kind: 'tick' as const, failed })),
      fc.constantFrom('failover', 'failback').map((direction) => ({ kind: 'request' as const, direction })),
      fc
        .constantFrom('succeeded', 'completed-with-errors', 'failed')
        .map((outcome) => ({ kind: 'finish' as const, outcome })),
      fc.constant({ kind: 'start-fails' as const }),
    );
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 80 }), (inputs) => {
        let r = fresh();
        let ms = 0;
        let failStart = false;
        for (const [i, input] of inputs.entries()) {
          ms += INTERVAL;
          const results = (e: ActiveEffect): MonitorStepInput =>
            e.type === 'start-operation' && failStart
              ? { type: 'effect-failed', effect: e, error: 'refused' }
              : working(input.kind === 'tick' ? !input.failed : true)(e);
          if (input.kind === 'start-fails') failStart = !failStart;
          else if (input.kind === 'tick') r = cycle(r, tick(ms), ms, results).record;
          else if (input.kind === 'request')
            r = cycle(
              r,
              signal({
                kind: 'request-operation',
                id: `r${i}`,
                request: manual(input.direction, { force: true }),
              }),
              ms,
              results,
            ).record;
          else if (r.activeOperation)
            r = cycle(
              r,
              signal({
                kind: 'operation-finished',
                id: 'f',
                operationId: r.activeOperation.operationId,
                direction: r.activeOperation.direction,
                outcome: input.outcome,
                pendingFences: [],
              }),
              ms,
              results,
            ).record;
          const running = r.state.mode === 'failing-over' || r.state.mode === 'failing-back';
          expect(running).toBe(r.activeOperation !== undefined);
          if (r.unstarted) expect(r.unstarted.input.operationId).toBe(r.activeOperation?.operationId);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('an operator stops the running operation (break-glass)', () => {
  // An automatic failover runs (3 failed probes); the operator asks.
  const running = (): MonitorRecord => run(fresh(), [true, true, true]).record;
  const runningId = 'failover-1-20260101T000100';
  const breakGlass = manual('failover', { override: ['no-dual-active'] });
  const ask = (id: string, r: OperationRequest): MonitorStepInput =>
    signal({ kind: 'request-operation', id, request: r });
  const cancel = (id: string, operationId = runningId): MonitorStepInput =>
    signal({ kind: 'cancel-operation', id, operationId, caller });
  const finished = (operationId: string, outcome: 'superseded' | 'cancelled' | 'succeeded') =>
    signal({
      kind: 'operation-finished',
      id: `${operationId}:finished`,
      operationId,
      direction: 'failover',
      outcome,
      pendingFences: [target('primary:a')],
      failingRegions: ['primary'],
    });

  it('a failover with an override supersedes it: answered with the replacement id, the running one told to stop, said at once; nothing starts yet', () => {
    const out = step(running(), ask('bg-1', breakGlass), at(4 * INTERVAL));
    const replacement = 'failover-2-20260101T000200';
    expect(out.record.answers.at(-1)).toEqual({
      id: 'bg-1',
      status: 'accepted',
      operationId: replacement,
      supersedes: runningId, // the answer names what it replaces (runbook §3)
      at: expect.any(String),
    });
    expect(out.record.activeOperation?.operationId).toBe(runningId); // one operation at a time
    expect(out.record.stopping).toMatchObject({
      operationId: runningId,
      outcome: 'superseded',
      supersededBy: replacement,
      caller,
      replacement: { operationId: replacement, request: breakGlass },
    });
    expect(types(out.effects)).toEqual(['cancel-operation', 'notify operation.cancelled', 'record-request']);
    expect(out.effects[0]).toEqual({
      type: 'cancel-operation',
      planId: 'plan-a',
      operationId: runningId,
      stop: { outcome: 'superseded', caller, at: at(4 * INTERVAL).toISOString(), supersededBy: replacement },
    });
    // Without an override, or while the stop is pending: a conflict, as before.
    expect(
      step(running(), ask('plain', manual('failover')), at(4 * INTERVAL)).record.answers.at(-1),
    ).toMatchObject({ status: 'conflict', operationId: runningId });
    expect(step(out.record, ask('bg-2', breakGlass), at(4 * INTERVAL)).record.answers.at(-1)).toMatchObject({
      status: 'conflict',
      operationId: replacement,
      reason: expect.stringContaining(`${runningId} is being superseded by ${replacement}`),
    });
    // A break-glass request the referee would refuse on its own (planned while the primary fails) is refused.
    expect(
      step(
        running(),
        ask('bg-planned', { ...breakGlass, kind: 'planned' }),
        at(4 * INTERVAL),
      ).record.answers.at(-1),
    ).toMatchObject({ status: 'refused' });
  });

  it('when the superseded one has ended: its fences kept, the replacement starts with the regions it found failing', () => {
    const asked = step(running(), ask('bg-1', breakGlass), at(4 * INTERVAL)).record;
    const out = step(asked, finished(runningId, 'superseded'), at(4 * INTERVAL + 2_000));
    expect(out.record.lastOperation).toMatchObject({ operationId: runningId, outcome: 'superseded' });
    expect(out.record.pendingFences).toEqual([
      { ...target('primary:a'), since: at(2 * INTERVAL).toISOString() },
    ]);
    expect(out.record.stopping).toBeUndefined();
    expect(out.record.activeOperation).toMatchObject({ operationId: 'failover-2-20260101T000200' });
    expect(out.record.state.mode).toBe('failing-over');
    expect(out.effects).toEqual([
      {
        type: 'start-operation',
        input: expect.objectContaining({
          operationId: 'failover-2-20260101T000200',
          request: breakGlass,
          knownFailing: { regions: ['primary'], foundBy: runningId },
        }),
      },
    ]);
  });

  it('a tick while it is being stopped tells it again and asks whether it is over', () => {
    const asked = step(running(), ask('bg-1', breakGlass), at(4 * INTERVAL)).record;
    const out = step(asked, tick(5 * INTERVAL), at(5 * INTERVAL));
    expect(types(out.effects)).toEqual(['cancel-operation', 'operation-status', 'probe']);
  });

  it('cancel: the running one is told to stop; when it has, the monitor is back to where it was, nothing replaces it', () => {
    const out = step(running(), cancel('c-1'), at(4 * INTERVAL));
    expect(out.record.answers.at(-1)).toEqual({
      id: 'c-1',
      status: 'accepted',
      operationId: runningId,
      at: expect.any(String),
    });
    expect(out.record.stopping).toMatchObject({ operationId: runningId, outcome: 'cancelled', caller });
    expect(types(out.effects)).toEqual(['cancel-operation', 'notify operation.cancelled', 'record-request']);
    const ended = step(out.record, finished(runningId, 'cancelled'), at(4 * INTERVAL + 2_000));
    expect(ended.effects).toEqual([]);
    expect(ended.record.activeOperation).toBeUndefined();
    expect(ended.record.state.mode).toBe('degraded');
    expect(ended.record.lastOperation).toMatchObject({ outcome: 'cancelled' });
  });

  it('cancel refused: another id, nothing running, already ended, or being stopped already', () => {
    expect(step(running(), cancel('c-x', 'failover-9-x'), at(0)).record.answers.at(-1)).toEqual({
      id: 'c-x',
      status: 'refused',
      reason: `failover-9-x is not running (the running operation is ${runningId})`,
      at: at(0).toISOString(),
    });
    expect(step(fresh(), cancel('c-y'), at(0)).record.answers.at(-1)).toMatchObject({
      reason: `${runningId} is not running (no operation runs)`,
    });
    const asked = step(running(), cancel('c-1'), at(4 * INTERVAL)).record;
    expect(step(asked, cancel('c-2'), at(4 * INTERVAL)).record.answers.at(-1)).toMatchObject({
      status: 'conflict',
      reason: expect.stringContaining(`${runningId} is being cancelled`),
    });
    const ended = step(asked, finished(runningId, 'cancelled'), at(4 * INTERVAL)).record;
    expect(step(ended, cancel('c-3'), at(5 * INTERVAL)).record.answers.at(-1)).toMatchObject({
      status: 'refused',
      reason: `${runningId} is not running: it ended (cancelled) at ${at(4 * INTERVAL).toISOString()}`,
    });
  });
});

/** `record` running `operationId` (started at 0), and that operation ending successfully at `ms`. */
function operationEnds(
  record: MonitorRecord,
  operationId: string,
  direction: 'failover' | 'failback',
  pendingFences: WorkflowTarget[],
  ms: number,
): MonitorRecord {
  const running: MonitorRecord = {
    ...record,
    state: { ...record.state, mode: direction === 'failover' ? 'failing-over' : 'failing-back' },
    activeOperation: { operationId, direction, trigger: 'manual', startedAt: at(0).toISOString() },
  };
  const id = `${operationId}:finished`;
  const finished = { kind: 'operation-finished', id, operationId, direction, outcome: 'succeeded' } as const;
  return step(running, signal({ ...finished, pendingFences }), at(ms)).record;
}

describe('pending fences carry since when they are pending', () => {
  const fence = (label: string): WorkflowTarget => ({
    region: 'primary',
    ref: label,
    key: label,
    label: `primary:${label}`,
  });

  it('an operation leaves them pending since it started; each keeps its time until it is applied', () => {
    const before: MonitorRecord = {
      ...fresh(),
      pendingFences: [{ ...fence('old'), since: at(-600_000).toISOString() }],
    };
    const fences = [fence('old'), fence('a'), fence('b')];
    const done = operationEnds(before, 'op-1', 'failover', fences, 90_000);
    expect(done.pendingFences.map((f) => [f.label, f.since])).toEqual([
      ['primary:old', at(-600_000).toISOString()],
      ['primary:a', at(0).toISOString()],
      ['primary:b', at(0).toISOString()],
    ]);
    // The activity hands back plain targets: the record still knows since when each is pending.
    const applied = step(
      done,
      {
        type: 'fences-applied',
        result: { applied: [fence('a')], pending: [fence('b'), fence('old')], errors: [] },
      },
      at(120_000),
    ).record;
    expect(applied.pendingFences.map((f) => [f.label, f.since])).toEqual([
      ['primary:b', at(0).toISOString()],
      ['primary:old', at(-600_000).toISOString()],
    ]);
  });
});

describe('estate drift', () => {
  const opId = 'failover-1-20260101T000100';
  const failedOver = (extra: Partial<MonitorRecord> = {}): MonitorRecord => ({
    ...fresh(),
    state: { ...initialMonitorState(), mode: 'failed-over', activeRegion: 'secondary' },
    lastOperation: {
      operationId: opId,
      direction: 'failover',
      trigger: 'automatic',
      startedAt: at(-120_000).toISOString(),
      finishedAt: at(-60_000).toISOString(),
      outcome: 'succeeded',
    },
    ...extra,
  });
  const webhook: DriftFinding = {
    key: 'secondary:wh|every-entry-runs',
    entry: 'order-webhook',
    workflow: 'secondary:order-webhook',
    region: 'secondary',
    rule: 'every-entry-runs',
    message: 'secondary order-webhook is Disabled: runs nowhere',
  };
  const poller: DriftFinding = {
    key: 'primary:mp|no-dual-active',
    entry: 'mailbox-poller',
    workflow: 'primary:mailbox-poller',
    region: 'primary',
    rule: 'no-dual-active',
    message: 'primary mailbox-poller is Enabled: runs in both regions',
  };
  /** Every activity works; the drift check finds `found()` at the time of the call. */
  const estate =
    (found: () => DriftFinding[], checks: string[] = []) =>
    (e: ActiveEffect): MonitorStepInput => {
      if (e.type !== 'check-drift') return working(true)(e);
      checks.push(`${e.operationId} ${e.activeRegion}`);
      return {
        type: 'drift-checked',
        result: { operationId: e.operationId, checked: 10, drift: found(), unreadable: [] },
      };
    };
  const tickWith = (ms: number, driftCheckCycles?: number): MonitorStepInput => ({
    type: 'signal',
    signal: {
      kind: 'tick',
      id: `tick-${ms}`,
      at: at(ms).toISOString(),
      policy,
      probeIntervalMs: INTERVAL,
      ...(driftCheckCycles !== undefined ? { driftCheckCycles } : {}),
    },
  });
  /** `cycles` probe cycles from `record`; the drifts found at each cycle from `found(cycle)`. */
  function cycles(record: MonitorRecord, n: number, found: (i: number) => DriftFinding[], every?: number) {
    let r = record;
    const checks: string[] = [];
    const notes: string[][] = [];
    for (let i = 0; i < n; i++) {
      const c = cycle(
        r,
        tickWith(i * INTERVAL, every),
        i * INTERVAL,
        estate(() => found(i), checks),
      );
      r = c.record;
      notes.push(c.done.filter((d) => d.startsWith('notify estate')));
    }
    return { record: r, checks, notes };
  }

  it('is checked every 5 probe cycles by default while failed over, against the last operation', () => {
    const { checks } = cycles(failedOver(), 11, () => []);
    expect(checks).toEqual([`${opId} secondary`, `${opId} secondary`, `${opId} secondary`]);
    expect(cycles(failedOver(), 11, () => [], 2).checks).toHaveLength(6);
    expect(cycles(failedOver(), 11, () => [], 0).checks).toEqual([]);
  });

  it('is not checked while an operation runs, while degraded, after a failed operation, or before any', () => {
    expect(cycles(fresh(), 6, () => []).checks).toEqual([]);
    const failed = failedOver({
      state: { ...initialMonitorState(), mode: 'monitoring', activeRegion: 'primary' },
      lastOperation: { ...failedOver().lastOperation!, outcome: 'failed' },
    });
    expect(cycles(failed, 6, () => []).checks).toEqual([]);
    const running = failedOver({
      state: { ...initialMonitorState(), mode: 'failing-back', activeRegion: 'secondary' },
      activeOperation: {
        operationId: 'failback-2',
        direction: 'failback',
        trigger: 'manual',
        startedAt: at(0).toISOString(),
      },
    });
    expect(
      cycle(
        running,
        tickWith(0),
        0,
        estate(() => []),
      ).done,
    ).not.toContain('check-drift');
    const afterFailback = failedOver({
      state: { ...initialMonitorState(), mode: 'monitoring', activeRegion: 'primary' },
      lastOperation: { ...failedOver().lastOperation!, operationId: 'fb-1', direction: 'failback' },
    });
    expect(cycles(afterFailback, 1, () => []).checks).toEqual(['fb-1 primary']);
  });

  it('raises estate.drifted once per distinct drift, and drift cleared once it is fixed', () => {
    // Cycle 0 finds nothing; the webhook drifts before cycle 5, the poller before 10; both fixed before 20.
    const found = (i: number) => (i < 5 ? [] : i < 10 ? [webhook] : i < 20 ? [webhook, poller] : []);
    const { record, notes } = cycles(failedOver(), 21, found);
    expect(notes.flat()).toEqual([
      'notify estate.drifted',
      'notify estate.drifted',
      'notify estate.drift-cleared',
      'notify estate.drift-cleared',
    ]);
    expect(notes[5]).toEqual(['notify estate.drifted']);
    expect(notes[10]).toEqual(['notify estate.drifted']);
    expect(notes[20]).toEqual(['notify estate.drift-cleared', 'notify estate.drift-cleared']);
    expect(record.drift).toEqual([]);
  });

  it('names the workflow, region, rule and operation; a stale or skipped check says nothing', () => {
    const r = failedOver();
    const out = step(
      r,
      {
        type: 'drift-checked',
        result: { operationId: opId, checked: 4, drift: [webhook, poller], unreadable: [] },
      },
      at(0),
    );
    expect(out.effects).toMatchObject([
      {
        notification: {
          type: EVENT_TYPES.estateDrifted,
          data: {
            operationId: opId,
            workflow: 'secondary:order-webhook',
            region: 'secondary',
            rule: 'every-entry-runs',
            message: 'secondary order-webhook is Disabled: runs nowhere',
            monitor: { mode: 'failed-over', activeRegion: 'secondary' },
          },
        },
      },
      {
        notification: {
          type: EVENT_TYPES.estateDrifted,
          data: { message: 'primary mailbox-poller is Enabled: runs in both regions' },
        },
      },
    ]);
    const again = step(
      out.record,
      { type: 'drift-checked', result: { operationId: opId, checked: 4, drift: [webhook], unreadable: [] } },
      at(INTERVAL),
    );
    expect(again.effects).toMatchObject([
      { notification: { type: EVENT_TYPES.driftCleared, data: { workflow: 'primary:mailbox-poller' } } },
    ]);
    const stale = { operationId: 'older', checked: 4, drift: [webhook], unreadable: [] };
    expect(step(r, { type: 'drift-checked', result: stale }, at(0)).effects).toEqual([]);
    const skipped = { operationId: opId, checked: 0, drift: [], unreadable: [], skipped: 'no record' };
    expect(step(out.record, { type: 'drift-checked', result: skipped }, at(0))).toMatchObject({
      effects: [],
      record: { drift: [webhook, poller] },
    });
  });

  it('a new operation starts from a clean slate: its end drops the drifts of the one before', () => {
    const done = operationEnds(
      failedOver({ drift: [webhook], lastDriftCheckCycle: 3 }),
      'fb-1',
      'failback',
      [],
      60_000,
    );
    expect(done.drift).toBeUndefined();
    expect(done.lastDriftCheckCycle).toBeUndefined();
  });

  it('a failed check is tried again at the next due cycle, never every cycle', () => {
    const failing = (e: ActiveEffect): MonitorStepInput =>
      e.type === 'check-drift'
        ? { type: 'effect-failed', effect: e, error: 'task hub down' }
        : working(true)(e);
    let r = failedOver();
    const asked: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c = cycle(r, tickWith(i * INTERVAL), i * INTERVAL, failing);
      if (c.done.includes('check-drift')) asked.push(i);
      r = c.record;
    }
    expect(asked).toEqual([0, 5]);
  });
});
