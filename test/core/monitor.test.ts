import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decide,
  initialMonitorState,
  reportedMode,
  type MonitorCommand,
  type MonitorPolicy,
  type MonitorState,
} from '../../src/core/monitor';
import { testPolicy } from '../support/plans';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const INTERVAL = 30_000;

/** The table tests' policy, failing over after `threshold` failures in a row. */
const consecutive = (threshold: number, extra: Partial<MonitorPolicy> = {}): MonitorPolicy =>
  testPolicy({ failureThreshold: threshold, ...extra });

interface Run {
  state: MonitorState;
  /** Commands per probe index. */
  log: MonitorCommand[][];
  failoverAt: number[];
}

/**
 * Feeds outcomes (true = failed) one probe per interval. When the core asks for a failover the harness
 * plays the orchestration: started by that decision itself, finished `finishAfter` probes later (never when undefined).
 */
function run(
  outcomes: boolean[],
  policy: MonitorPolicy,
  opts: { finishAfter?: number; start?: MonitorState; t0?: number } = {},
): Run {
  let state = opts.start ?? initialMonitorState();
  const log: MonitorCommand[][] = [];
  const failoverAt: number[] = [];
  let finishAt: number | undefined;
  const t0 = opts.t0 ?? T0;
  outcomes.forEach((failed, i) => {
    const now = new Date(t0 + i * INTERVAL);
    if (finishAt === i) {
      state = decide(
        state,
        { type: 'failover-finished', operationId: `op${failoverAt.length}`, outcome: 'succeeded' },
        policy,
        now,
      ).state;
    }
    const d = decide(
      state,
      {
        type: 'probe',
        result: {
          at: now.toISOString(),
          healthy: !failed,
          latencyMs: 5,
          ...(failed ? { failure: 'timeout' as const } : { status: 200 }),
        },
      },
      policy,
      now,
    );
    state = d.state;
    log.push(d.commands);
    if (d.commands.some((c) => c.type === 'start-operation' && c.direction === 'failover')) {
      failoverAt.push(i);
      if (opts.finishAfter !== undefined) finishAt = i + opts.finishAfter;
    }
  });
  return { state, log, failoverAt };
}

/** A failover that finished at `failoverTime`, then a forced failback requested and finished `afterMs` later. */
function failedBack(
  state0: MonitorState,
  policy: MonitorPolicy,
  failoverTime: number,
  afterMs = 0,
): MonitorState {
  let state = decide(
    state0,
    { type: 'failover-finished', operationId: 'op1', outcome: 'succeeded' },
    policy,
    new Date(failoverTime),
  ).state;
  state = decide(
    state,
    { type: 'operation-requested', direction: 'failback', force: true, overrides: false },
    policy,
    new Date(failoverTime + afterMs),
  ).state;
  expect(state.mode).toBe('failing-back');
  return decide(
    state,
    { type: 'failback-finished', operationId: 'fb', outcome: 'succeeded' },
    policy,
    new Date(failoverTime + afterMs),
  ).state;
}

const outcomesArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 200 });

describe('monitor decision core', () => {
  it('stays quiet while the primary is healthy', () => {
    const r = run(Array(1000).fill(false), consecutive(3));
    expect(r.log.flat()).toEqual([]);
    expect(r.state.mode).toBe('monitoring');
  });

  it('alerts on the first failure, resets the count on success, fails over exactly at the threshold', () => {
    const r = run([false, true, true, false, true, true, true, true], consecutive(3));
    expect(r.log[1]!.map((c) => c.type)).toEqual(['alert-degraded']);
    expect(r.log[3]).toEqual([]);
    expect(r.failoverAt).toEqual([6]);
    const start = r.log[6]!.find((c) => c.type === 'start-operation');
    expect(start).toMatchObject({
      direction: 'failover',
      trigger: 'automatic',
      evidence: { consecutiveFailures: 3, firstFailureAt: new Date(T0 + INTERVAL).toISOString() },
    });
  });

  it('never fails over unless the last `threshold` probes all failed (property)', () => {
    fc.assert(
      fc.property(outcomesArb, fc.integer({ min: 1, max: 8 }), (outcomes, threshold) => {
        const r = run(outcomes, consecutive(threshold));
        for (const i of r.failoverAt) {
          expect(i + 1).toBeGreaterThanOrEqual(threshold);
          expect(outcomes.slice(i + 1 - threshold, i + 1).every(Boolean)).toBe(true);
        }
        // And it does fail over when such a run exists (first one, no cooldown yet).
        const firstRun = outcomes.findIndex(
          (_, i) => i + 1 >= threshold && outcomes.slice(i + 1 - threshold, i + 1).every(Boolean),
        );
        expect(r.failoverAt[0] ?? -1).toBe(firstRun);
      }),
      { numRuns: 3000 },
    );
  });

  it('starts exactly one failover per outage, however long it lasts (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 300 }),
        fc.option(fc.integer({ min: 0, max: 20 })),
        (healthy, threshold, extra, finishAfter) => {
          const outcomes = [
            ...Array<boolean>(healthy).fill(false),
            ...Array<boolean>(threshold + extra).fill(true),
          ];
          const r = run(outcomes, consecutive(threshold), finishAfter === null ? {} : { finishAfter });
          expect(r.failoverAt).toEqual([healthy + threshold - 1]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('flapping below the threshold never accumulates (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 60 }),
        (threshold, bursts) => {
          // Failure bursts shorter than the threshold, each followed by one healthy probe.
          const outcomes = bursts.flatMap((n) => [
            ...Array<boolean>(Math.min(n, threshold - 1)).fill(true),
            false,
          ]);
          const r = run(outcomes, consecutive(threshold));
          expect(r.failoverAt).toEqual([]);
          expect(r.state.consecutiveFailures).toBeLessThan(threshold);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('window mode fails over at the first probe where k of the last n failed (property)', () => {
    fc.assert(
      fc.property(
        outcomesArb,
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        (outcomes, n, slack) => {
          const k = Math.max(1, n - slack);
          const policy = consecutive(1, { failureThreshold: undefined, window: { failures: k, of: n } });
          const r = run(outcomes, policy);
          const expected = outcomes.findIndex(
            (failed, i) =>
              failed && outcomes.slice(Math.max(0, i + 1 - n), i + 1).filter(Boolean).length >= k,
          );
          expect(r.failoverAt[0] ?? -1).toBe(expected);
          expect(r.failoverAt.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a pause blocks automatic failover and expires by itself (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 150 }),
        (threshold, pauseProbes, failAfter) => {
          const policy = consecutive(threshold);
          const now = new Date(T0);
          const until = new Date(T0 + pauseProbes * INTERVAL - 1);
          const paused = decide(
            initialMonitorState(),
            { type: 'pause', until: until.toISOString(), reason: 'maintenance', by: 'ops@contoso' },
            policy,
            now,
          );
          expect(paused.commands).toEqual([]);
          expect(reportedMode(paused.state, now)).toBe('paused');
          const outcomes = [
            ...Array<boolean>(failAfter).fill(false),
            ...Array<boolean>(threshold + 200).fill(true),
          ];
          const r = run(outcomes, policy, { start: paused.state });
          const firstAllowed = Math.max(pauseProbes, failAfter + threshold - 1);
          expect(r.failoverAt).toEqual([firstAllowed]);
          const expiredAt = r.log.findIndex((cmds) => cmds.some((c) => c.type === 'pause-expired'));
          expect(expiredAt).toBe(pauseProbes);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses a pause beyond maxPause or in the past, and resume lifts a pause', () => {
    const policy = consecutive(3);
    const now = new Date(T0);
    const tooLong = decide(
      initialMonitorState(),
      { type: 'pause', until: new Date(T0 + 9 * 3_600_000).toISOString(), reason: 'x', by: 'a' },
      policy,
      now,
    );
    expect(tooLong.commands[0]).toMatchObject({
      type: 'rejected',
      reason: expect.stringContaining('maxPause (PT8H)'),
    });
    expect(tooLong.state.pause).toBeUndefined();
    const past = decide(
      initialMonitorState(),
      { type: 'pause', until: new Date(T0 - 1).toISOString(), reason: 'x', by: 'a' },
      policy,
      now,
    );
    expect(past.commands[0]?.type).toBe('rejected');
    const paused = decide(
      initialMonitorState(),
      { type: 'pause', until: new Date(T0 + 3_600_000).toISOString(), reason: 'x', by: 'a' },
      policy,
      now,
    ).state;
    const resumed = decide(paused, { type: 'resume', by: 'a' }, policy, now).state;
    expect(reportedMode(resumed, now)).toBe('monitoring');
  });

  it('the cooldown after a failover doubles detection, and never holds a failover back longer (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 120 }),
        (threshold, gapProbes) => {
          const policy = consecutive(threshold, { cooldown: 'PT30M' }); // 60 probes
          // First outage → failover → failback right away → second outage after `gapProbes` healthy probes.
          const first = run(Array<boolean>(threshold).fill(true), policy);
          expect(first.failoverAt).toEqual([threshold - 1]);
          const failoverTime = T0 + (threshold - 1) * INTERVAL;
          const state = failedBack(first.state, policy, failoverTime);
          const t1 = failoverTime + INTERVAL;
          const second = run(
            [...Array<boolean>(gapProbes).fill(false), ...Array<boolean>(200).fill(true)],
            policy,
            { start: state, t0: t1 },
          );
          // The n-th failed probe of the second outage (1-based) fails over when the threshold is reached
          // and either the cooldown is over or twice the threshold failed: never later.
          const cooldownEnds = failoverTime + 30 * 60_000;
          let expected = 1;
          while (
            expected < threshold ||
            (t1 + (gapProbes + expected - 1) * INTERVAL < cooldownEnds && expected < 2 * threshold)
          )
            expected++;
          expect(second.failoverAt).toEqual([gapProbes + expected - 1]);
          expect(expected).toBeLessThanOrEqual(2 * threshold);
          const withheld = second.log.flat().filter((c) => c.type === 'failover-withheld');
          expect(withheld.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    // policy, failed probes in a row after a failback 5 min after the failover → probe index that fails over
    { name: 'threshold 3, in cooldown', policy: consecutive(3), failsOverAt: 6 },
    { name: 'threshold 1, in cooldown', policy: consecutive(1), failsOverAt: 2 },
    {
      name: 'window 3 of 5, in cooldown',
      policy: consecutive(3, { failureThreshold: undefined, window: { failures: 3, of: 5 } }),
      failsOverAt: 6,
    },
    {
      name: 'threshold 3, cooldown PT1M (over)',
      policy: consecutive(3, { cooldown: 'PT1M' }),
      failsOverAt: 3,
    },
    {
      name: 'threshold 3, automatic failover off',
      policy: consecutive(3, { automaticFailover: false }),
      failsOverAt: undefined,
    },
  ])('a dead primary after a failback: $name', ({ policy, failsOverAt }) => {
    const first = run(
      [true, true, true, true, true, true].slice(0, policy.window?.failures ?? policy.failureThreshold),
      {
        ...policy,
        automaticFailover: true,
      },
    );
    expect(first.failoverAt).toHaveLength(1);
    const failoverTime = T0 + first.failoverAt[0]! * INTERVAL;
    const state = failedBack(first.state, policy, failoverTime, 5 * 60_000);
    const second = run(Array<boolean>(20).fill(true), policy, {
      start: state,
      t0: failoverTime + 5 * 60_000 + INTERVAL,
    });
    expect(second.failoverAt).toEqual(failsOverAt === undefined ? [] : [failsOverAt - 1]);
  });

  it('only alerts when automatic failover is off', () => {
    const r = run(Array(10).fill(true), consecutive(3, { automaticFailover: false }));
    expect(r.failoverAt).toEqual([]);
    expect(r.log.flat().map((c) => c.type)).toEqual(['alert-degraded', 'failover-withheld']);
  });

  it('announces primary recovery once after recoveryThreshold healthy probes, and fails back only after the soak', () => {
    const policy = consecutive(2, { recoveryThreshold: 3, failback: { automaticAfter: 'PT5M' } });
    const outcomes = [true, true, true, false, false, true, ...Array<boolean>(30).fill(false)];
    const r = run(outcomes, policy, { finishAfter: 1 });
    const types = r.log.map((cmds) => cmds.map((c) => c.type));
    // Probes 3-4 are healthy but too few; probe 5 fails and resets the streak. The streak from probe 6
    // reaches 3 at probe 8 → recovered once; soak 5 min = 10 intervals after probe 6 → failback at 16.
    expect(types.flat().filter((t) => t === 'primary-recovered')).toHaveLength(1);
    expect(types[8]).toEqual(['primary-recovered']);
    const failback = r.log.findIndex((cmds) =>
      cmds.some((c) => c.type === 'start-operation' && c.direction === 'failback'),
    );
    expect(failback).toBe(16);
    expect(r.state.mode).toBe('failing-back');
  });

  it('soak and approval: never fails back by itself; cycles say the soak, then that it waits for an operator', () => {
    const policy = consecutive(2, {
      recoveryThreshold: 3,
      failback: { soak: 'PT5M', approval: 'required' } as MonitorPolicy['failback'],
    });
    const r = run([true, true, ...Array<boolean>(40).fill(false)], policy, { finishAfter: 1 });
    const all = r.log.flat();
    expect(all.filter((c) => c.type === 'primary-recovered')).toHaveLength(1);
    expect(all.filter((c) => c.type === 'start-operation' && c.direction === 'failback')).toEqual([]);
    expect(r.state.mode).toBe('failed-over');
    const probe = (healthy: boolean, ms: number) => ({
      type: 'probe' as const,
      result: { at: new Date(ms).toISOString(), healthy, latencyMs: 1 },
    });
    const since = Date.parse(r.state.primaryHealthySince!);
    const soaking = decide(r.state, probe(true, since + 60_000), policy, new Date(since + 60_000));
    expect(soaking.reason).toContain(
      `soak until ${new Date(since + 5 * 60_000).toISOString()} (60000 of 300000 ms), then failback waits for an operator's approval`,
    );
    const soaked = decide(r.state, probe(true, since + 6 * 60_000), policy, new Date(since + 6 * 60_000));
    expect(soaked.reason).toContain(
      "the primary has been healthy for the soak: failback waits for an operator's approval",
    );
    expect(soaked.commands).toEqual([]);
  });

  it('state survives a JSON round trip (it is persisted across continueAsNew and restarts)', () => {
    fc.assert(
      fc.property(outcomesArb, (outcomes) => {
        const policy = consecutive(3);
        const half = Math.floor(outcomes.length / 2);
        const a = run(outcomes.slice(0, half), policy);
        const resumed = run(outcomes.slice(half), policy, {
          start: JSON.parse(JSON.stringify(a.state)) as MonitorState,
          t0: T0 + half * INTERVAL,
        });
        const whole = run(outcomes, policy);
        expect(resumed.state).toEqual(whole.state);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the referee for manual failover and failback requests', () => {
  const now = new Date(T0);
  const soaked = (policy: MonitorPolicy, successes: number, healthyMs: number): MonitorState => ({
    ...initialMonitorState(),
    mode: 'failed-over',
    activeRegion: 'secondary',
    consecutiveSuccesses: successes,
    primaryHealthySince: new Date(T0 - healthyMs).toISOString(),
  });
  const auto = consecutive(3, { failback: { automaticAfter: 'PT10M' } as MonitorPolicy['failback'] });
  const approval = consecutive(3, {
    failback: { soak: 'PT10M', approval: 'required' } as MonitorPolicy['failback'],
  });
  const base = { force: false, overrides: false } as const;
  const cases: {
    name: string;
    state: MonitorState;
    policy?: MonitorPolicy;
    request: Partial<Extract<Parameters<typeof decide>[1], { type: 'operation-requested' }>> & {
      direction: 'failover' | 'failback';
    };
    verdict: MonitorCommand['type'];
    reason?: RegExp;
  }[] = [
    {
      name: 'failover while monitoring',
      state: initialMonitorState(),
      request: { direction: 'failover' },
      verdict: 'start-operation',
    },
    {
      name: 'anything while an operation runs',
      state: initialMonitorState(),
      request: { direction: 'failover', active: { operationId: 'op1', direction: 'failback' } },
      verdict: 'conflict',
      reason: /failback op1 is in progress/,
    },
    {
      name: 'a second failover after one that succeeded',
      state: soaked(consecutive(3), 0, 0),
      request: { direction: 'failover', lastOutcome: 'succeeded' },
      verdict: 'rejected',
      reason: /already failed over/,
    },
    {
      name: 'a failover re-run after a partial one',
      state: soaked(consecutive(3), 0, 0),
      request: { direction: 'failover', lastOutcome: 'completed-with-errors' },
      verdict: 'start-operation',
    },
    {
      name: 'a failover re-run with overrides after a success',
      state: soaked(consecutive(3), 0, 0),
      request: { direction: 'failover', lastOutcome: 'succeeded', overrides: true },
      verdict: 'start-operation',
    },
    {
      name: 'a planned failover while the primary fails (its split slots would be lost)',
      state: { ...initialMonitorState(), mode: 'degraded', consecutiveFailures: 2 },
      request: { direction: 'failover', kind: 'planned' },
      verdict: 'rejected',
      reason: /2 failed probe\(s\) in a row.*ask for kind "emergency"/,
    },
    {
      name: 'an emergency failover while the primary fails',
      state: { ...initialMonitorState(), mode: 'degraded', consecutiveFailures: 2 },
      request: { direction: 'failover', kind: 'emergency' },
      verdict: 'start-operation',
    },
    {
      name: 'a planned failover while the primary is healthy',
      state: initialMonitorState(),
      request: { direction: 'failover', kind: 'planned' },
      verdict: 'start-operation',
    },
    {
      name: 'failback while not failed over',
      state: initialMonitorState(),
      request: { direction: 'failback', force: true },
      verdict: 'rejected',
      reason: /nothing to fail back: the monitor is monitoring/,
    },
    {
      name: 'failback before the recovery threshold',
      state: soaked(consecutive(3), 2, 60 * 60_000),
      request: { direction: 'failback' },
      verdict: 'rejected',
      reason: /2 of 3 healthy probes/,
    },
    {
      name: 'failback before the soak',
      state: soaked(auto, 5, 9 * 60_000),
      policy: auto,
      request: { direction: 'failback' },
      verdict: 'rejected',
      reason: /540000 of 600000 ms/,
    },
    {
      name: 'failback after the soak',
      state: soaked(auto, 5, 10 * 60_000),
      policy: auto,
      request: { direction: 'failback' },
      verdict: 'start-operation',
    },
    {
      name: 'soak and approval: an operator asking before the soak',
      state: soaked(approval, 5, 9 * 60_000),
      policy: approval,
      request: { direction: 'failback' },
      verdict: 'rejected',
      reason: /540000 of 600000 ms/,
    },
    {
      name: 'soak and approval: an operator asking after the soak',
      state: soaked(approval, 5, 10 * 60_000),
      policy: approval,
      request: { direction: 'failback' },
      verdict: 'start-operation',
    },
    {
      name: 'forced failback before the soak',
      state: soaked(auto, 0, 0),
      policy: auto,
      request: { direction: 'failback', force: true },
      verdict: 'start-operation',
    },
  ];
  it.each(cases)('$name: $verdict', ({ state, policy, request, verdict, reason }) => {
    const d = decide(
      state,
      { type: 'operation-requested', ...base, ...request },
      policy ?? consecutive(3),
      now,
    );
    expect(d.commands).toHaveLength(1);
    expect(d.commands[0]!.type).toBe(verdict);
    if (reason) expect('reason' in d.commands[0]! ? d.commands[0].reason : '').toMatch(reason);
    // A refusal changes nothing; an accepted request has already moved the state (nothing reports "started").
    if (verdict !== 'start-operation') expect(d.state).toEqual(state);
    else if (request.direction === 'failover')
      expect(d.state).toEqual({ ...state, mode: 'failing-over', lastFailoverAt: now.toISOString() });
    else expect(d.state).toEqual({ ...state, mode: 'failing-back' });
  });

  it('an accepted request and an automatic start move the state alike, and a second request then conflicts', () => {
    const policy = consecutive(1);
    const manual = decide(
      initialMonitorState(),
      { type: 'operation-requested', direction: 'failover', kind: 'emergency', ...base },
      policy,
      now,
    );
    const automatic = decide(
      initialMonitorState(),
      {
        type: 'probe',
        result: { at: now.toISOString(), healthy: false, latencyMs: 5, failure: 'timeout' },
      },
      policy,
      now,
    );
    expect(manual.commands).toEqual([{ type: 'start-operation', direction: 'failover', trigger: 'manual' }]);
    expect(automatic.commands.at(-1)).toMatchObject({
      type: 'start-operation',
      direction: 'failover',
      trigger: 'automatic',
    });
    for (const d of [manual, automatic]) {
      expect(d.state.mode).toBe('failing-over');
      expect(d.state.lastFailoverAt).toBe(now.toISOString());
      // While it runs, further probes are evidence only: no second start.
      const next = decide(
        d.state,
        {
          type: 'probe',
          result: { at: now.toISOString(), healthy: false, latencyMs: 5, failure: 'timeout' },
        },
        policy,
        new Date(T0 + INTERVAL),
      );
      expect(next.commands.filter((c) => c.type === 'start-operation')).toEqual([]);
    }
  });
});

describe('each cycle says what it concluded and why', () => {
  const policy = consecutive(3);
  const probe = (i: number, healthy: boolean) => ({
    type: 'probe' as const,
    result: {
      at: new Date(T0 + i * INTERVAL).toISOString(),
      healthy,
      latencyMs: 5,
      ...(healthy ? { status: 200 } : { failure: 'timeout' as const }),
    },
  });
  const reasons = (outcomes: boolean[], start = initialMonitorState(), p = policy) => {
    let state = start;
    return outcomes.map((healthy, i) => {
      const d = decide(state, probe(i, healthy), p, new Date(T0 + i * INTERVAL));
      state = d.state;
      return d.reason;
    });
  };

  it.each([
    {
      name: 'automatic failover off',
      start: initialMonitorState(),
      p: consecutive(3, { automaticFailover: false }),
      says: 'automatic failover is off; ',
      failsAt: 'fails over at 3',
    },
    {
      name: 'cooldown after a recent failover',
      start: { ...initialMonitorState(), lastFailoverAt: new Date(T0 - 10 * 60_000).toISOString() },
      p: consecutive(3),
      says: `cooldown until ${new Date(T0 + 20 * 60_000).toISOString()} (detection doubled: fails over at 6 failed probes in a row); `,
      // One threshold in the whole sentence: the doubled one (audit finding 4).
      failsAt: 'fails over at 6 until the cooldown ends',
    },
    {
      name: 'paused',
      start: {
        ...initialMonitorState(),
        pause: { until: new Date(T0 + 3_600_000).toISOString(), reason: 'm', by: 'ops' },
      },
      p: consecutive(3),
      says: `paused until ${new Date(T0 + 3_600_000).toISOString()} by ops; `,
      failsAt: 'fails over at 3',
    },
  ])(
    'says what withholds a failover every cycle, healthy or failing: $name',
    ({ start, p, says, failsAt }) => {
      const r = reasons([true, false, true, false, false, false, false], start, p);
      expect(r[0]).toBe(`${says}primary healthy`);
      expect(r[1]).toBe(`${says}primary failing: 1 failed probe(s) in a row (${failsAt})`);
      expect(r[2]).toBe(`${says}primary answered: 1 of 3 healthy probes to recover`);
      // The cycle after the withheld notice (the cooldown: still short of twice the threshold) says it again.
      expect(r[6]).toMatch(
        new RegExp(`^${says.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}primary failing: 4 failed`),
      );
    },
  );

  it('counts toward the threshold, then says the failover starts', () => {
    expect(reasons([true, false, false, false])).toEqual([
      'primary healthy',
      'primary failing: 1 failed probe(s) in a row (fails over at 3)',
      'primary failing: 2 failed probe(s) in a row (fails over at 3)',
      'failover starts: 3 failed probe(s) in a row (fails over at 3)',
    ]);
  });

  it('says why a reached threshold does not fail over, and names the pause', () => {
    const paused = decide(
      initialMonitorState(),
      { type: 'pause', until: new Date(T0 + 3_600_000).toISOString(), reason: 'maintenance', by: 'ops' },
      policy,
      new Date(T0),
    ).state;
    const r = reasons([false, false, false, false], paused);
    expect(r[2]).toBe(
      `failover withheld (paused until ${new Date(T0 + 3_600_000).toISOString()}): 3 failed probe(s) in a row (fails over at 3)`,
    );
    expect(r[3]).toMatch(/^paused until .* by ops; primary failing: 4 failed probe\(s\) in a row/);
    expect(
      reasons([false, false, false], initialMonitorState(), consecutive(3, { automaticFailover: false }))[2],
    ).toMatch(/^failover withheld \(automatic failover is off\)/);
  });
});
