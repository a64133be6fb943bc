import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countArmRequests, countConnections, orchestrationStepsOf, stagesOf } from '../../bench/actuation';
import { EventType, type StoredEvent } from '../../local/host/durable/history';
import { failedOverReport, report, statusLatencyReport } from '../../bench/report';
import { measureSteadyState } from '../../bench/steady';
import { measureStatusLatency } from '../../bench/task-hub';
import { extrapolateOneByOne, runBenchmarks, type BenchConfig } from '../../bench/run';
import { phasesOf, throttleBoundMs, type BucketKind, type RequestPhase } from '../../bench/throttle-bound';
import type { RequestLogEntry } from '../../local/sim/arm';

describe('throttle bound (token-bucket arithmetic)', () => {
  it('splits requests into runs of one bucket kind, in order', () => {
    expect(phasesOf(['reads', 'reads', 'writes', 'reads'])).toEqual([
      { kind: 'reads', count: 2 },
      { kind: 'writes', count: 1 },
      { kind: 'reads', count: 1 },
    ]);
    expect(phasesOf([])).toEqual([]);
  });

  it.each([
    // Within the bursts: one round trip per phase.
    [
      [
        { kind: 'reads', count: 20 },
        { kind: 'writes', count: 10 },
        { kind: 'reads', count: 20 },
      ],
      300,
    ],
    // 200 + 200 reads: the read-back needs 145 tokens beyond the 55 left (50 + two round trips of refill).
    [
      [
        { kind: 'reads', count: 200 },
        { kind: 'writes', count: 100 },
        { kind: 'reads', count: 200 },
      ],
      6_100,
    ],
    // 1000 workflows: 1750 reads at 25/s, 800 writes at 10/s (reads refill meanwhile), 1750 reads at 25/s.
    [
      [
        { kind: 'reads', count: 2000 },
        { kind: 'writes', count: 1000 },
        { kind: 'reads', count: 2000 },
      ],
      220_300,
    ],
    // One call at a time: latency-bound, the buckets never bind.
    [Array.from({ length: 6 }, (_, i) => ({ kind: i % 2 ? 'writes' : 'reads', count: 1 })), 600],
  ] as [RequestPhase[], number][])('%j at 100 ms latency -> %d ms', (phases, expected) => {
    expect(throttleBoundMs(phases, 100)).toBeCloseTo(expected, 6);
  });

  it('never drops when the operation makes more requests, and never undercuts one round trip per phase', () => {
    const phase = fc.record({
      kind: fc.constantFrom<BucketKind>('reads', 'writes'),
      count: fc.integer({ min: 1, max: 3000 }),
    });
    fc.assert(
      fc.property(
        fc.array(phase, { minLength: 1, maxLength: 8 }),
        fc.nat({ max: 7 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 200 }),
        (phases, at, extra, latency) => {
          const i = at % phases.length;
          const more = phases.map((p, j) => (j === i ? { ...p, count: p.count + extra } : p));
          const base = throttleBoundMs(phases, latency);
          expect(throttleBoundMs(more, latency)).toBeGreaterThanOrEqual(base - 1e-9);
          expect(base).toBeGreaterThanOrEqual(phases.length * latency - 1e-9);
        },
      ),
    );
  });
});

describe('request counting and extrapolation', () => {
  const entry = (seq: number, method: string, extra: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
    seq,
    listener: 'arm',
    realTime: '2026-03-02T08:00:00.000Z',
    virtualTime: '2026-03-02T08:00:00.000Z',
    method,
    path: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows/w',
    outcome: 'answered',
    status: 200,
    durationMs: 1,
    ...extra,
  });

  it('counts reads, writes, refused connections and 429s on the ARM listener only', () => {
    const log = [
      entry(1, 'GET'),
      entry(2, 'GET', { outcome: 'reset', status: undefined }),
      entry(3, 'POST'),
      entry(4, 'POST', { status: 429 }),
      entry(5, 'PUT'),
      entry(6, 'POST', { listener: 'runtime' }),
    ];
    expect(countArmRequests(log)).toEqual({
      reads: 2,
      readsRefused: 1,
      writes: 3,
      writesRefused: 0,
      throttled: 1,
    });
  });

  it('counts the connections ARM requests used and those opened during the run, per run and per phase', () => {
    const at = (ms: number) => new Date(Date.parse('2026-03-02T08:00:00.000Z') + ms).toISOString();
    const log = [
      entry(1, 'GET', { connection: 4, realTime: at(10), durationMs: 100 }), // opened before the run
      entry(2, 'GET', { connection: 5, realTime: at(11), durationMs: 100 }),
      entry(3, 'POST', { connection: 5, realTime: at(150), durationMs: 100 }),
      entry(4, 'POST', { connection: 6, realTime: at(160), durationMs: 100 }),
      entry(5, 'GET', { connection: 6, realTime: at(300), durationMs: 100 }),
      entry(6, 'POST', { listener: 'runtime', connection: 9 }),
    ];
    expect(countConnections(log, 4)).toEqual({ used: 3, opened: 2 });
    expect(
      stagesOf(undefined, log.slice(0, 5), Date.parse(at(0)), 4).map((st) => `${st.atMs} ${st.stage}`),
    ).toEqual([
      '10 ARM phase 1: 2 reads over 2 connections (1 opened), first arrived',
      '111 ARM phase 1: 2 reads, last answered',
      '150 ARM phase 2: 2 writes over 2 connections (1 opened), first arrived',
      '260 ARM phase 2: 2 writes, last answered',
      '300 ARM phase 3: 1 reads over 1 connection (0 opened), first arrived',
      '400 ARM phase 3: 1 reads, last answered',
    ]);
  });

  it('folds the durable histories into when each activity and sub-orchestration was scheduled and completed', () => {
    const t0 = Date.parse('2026-03-02T08:00:00.000Z');
    const ev = (ms: number, type: number, fields: Record<string, unknown> = {}): StoredEvent => ({
      EventType: type,
      EventId: -1,
      IsPlayed: false,
      Timestamp: new Date(t0 + ms).toISOString(),
      ...fields,
    });
    const steps = orchestrationStepsOf(
      [
        {
          name: 'drOperation',
          history: [
            ev(-50, EventType.TaskScheduled, { EventId: 0, Name: 'drEarlier' }), // before the request
            ev(5, EventType.TaskScheduled, { EventId: 1, Name: 'drPlanOperation' }),
            ev(140, EventType.TaskCompleted, { TaskScheduledId: 1 }),
            ev(150, EventType.SubOrchestrationInstanceCreated, { EventId: 2, Name: 'drApplyEntry' }),
            ev(151, EventType.SubOrchestrationInstanceCreated, { EventId: 3, Name: 'drApplyEntry' }),
            ev(300, EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: 3 }),
            ev(320, EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: 2 }),
            ev(330, EventType.TaskCompleted, { TaskScheduledId: 0 }),
          ],
        },
      ],
      t0,
    );
    expect(steps.map((st) => `${st.atMs} ${st.kind} ${st.stage}`)).toEqual([
      '5 step drOperation: drPlanOperation scheduled',
      '140 step drOperation: drPlanOperation completed',
      '150 step drOperation: sub-orchestration drApplyEntry created (x2, first)',
      '320 step drOperation: sub-orchestration drApplyEntry completed (x2, last)',
      '330 step drOperation: drEarlier completed',
    ]);
  });

  it('extrapolates one-by-one linearly from the largest measured size, labelled as such', () => {
    const measured = [10, 100].map((workflows) => ({
      workflows,
      latencyMs: 100,
      elapsedMs: workflows * (workflows === 100 ? 200 : 250),
      perCallMs: workflows === 100 ? 200 : 250,
      arm: { reads: workflows, readsRefused: 0, writes: workflows, writesRefused: 0, throttled: 0 },
      boundMs: 0,
      secondariesEnabled: workflows,
    }));
    expect(extrapolateOneByOne(measured, [1000])).toEqual([
      {
        workflows: 1000,
        elapsedMs: 200_000,
        extrapolated: true,
        basis: '200.0 ms per call (measured at N=100) x 1000',
      },
    ]);
  });
});

describe('npm run bench at a tiny size (smoke: the code paths work; no timing is asserted)', () => {
  const tiny: BenchConfig = {
    latencyMs: 5,
    actuationSizes: [3],
    forkedActuationSizes: [6],
    oneByOneSizes: [2],
    forkedOneByOneSizes: [4],
    extrapolateOneByOneTo: [1000],
    detectionOffsetsMs: [0, 20_000],
    steadyCycles: 60,
    steadyWindowCycles: 20,
    steadyPrintCycles: 20,
  };

  it('fails over, counts ARM requests, detects outages within the bound and stays flat when healthy', async () => {
    const results = await runBenchmarks(tiny);

    // Actuation: primary down, so every fence is pending and only the secondary is enabled.
    expect(results.actuation.runs.map((r) => r.workflows)).toEqual([3, 6]);
    for (const r of results.actuation.runs) {
      const n = r.workflows;
      expect(r).toMatchObject({ outcome: 'succeeded', secondariesEnabled: n, pendingFences: n });
      // Every workflow of a region shares its resource group: planning lists each region once (the primary's
      // list is refused), the secondary is enabled and read back with one more list page (pending fences are
      // not read back).
      expect(r.arm).toMatchObject({ reads: 3, readsRefused: 1 });
      expect(r.arm).toMatchObject({ writes: n, writesRefused: 0, throttled: 0 });
      expect(r.phases).toEqual([
        { kind: 'reads', count: 2 },
        { kind: 'writes', count: n },
        { kind: 'reads', count: 1 },
      ]);
      expect(r.boundMs).toBeCloseTo(throttleBoundMs(r.phases, 5), 6);
      // Every request came in on a numbered connection; the writes were carried by at most one each.
      expect(r.connections.used).toBeGreaterThan(0);
      expect(r.connections.used).toBeLessThanOrEqual(3 + n);
      expect(r.stages.some((st) => st.kind === 'step' && /drApplyActions completed/.test(st.stage))).toBe(
        true,
      );
      expect(r.elapsedMs).toBeGreaterThan(0);
      expect(r.hostProblems).toEqual([]);
    }
    // One by one: measured in this process and (the larger size) in a child process, same shape.
    expect(results.actuation.oneByOne.map((r) => r.workflows)).toEqual([2, 4]);
    for (const seq of results.actuation.oneByOne) {
      const n = seq.workflows;
      expect(seq).toMatchObject({ secondariesEnabled: n });
      expect(seq.arm).toMatchObject({ reads: n, writes: n, throttled: 0 });
      expect(seq.perCallMs).toBeCloseTo(seq.elapsedMs / n, 6);
    }
    expect(results.actuation.oneByOneExtrapolated[0]).toMatchObject({ workflows: 1000, extrapolated: true });

    // Detection on virtual time is exact: the 3rd failed probe, ticks every 30 s, outage just after a tick.
    const d = results.detection;
    expect(d.boundMs).toBe(3 * 30_000 + 10_000);
    expect(d.runs.map((r) => r.detectionMs)).toEqual([90_000, 70_000]);
    expect(d.runs.every((r) => r.failedProbes === 3)).toBe(true);

    // Steady state: one probe per cycle, no operation, per-cycle work identical once the monitor runs.
    const st = results.steady;
    expect(st).toMatchObject({ cycles: 60, probes: 60, operations: 0, determinismCheck: false });
    const later = st.windows.slice(1);
    expect(new Set(later.map((w) => w.functionExecutionsPerCycle)).size).toBe(1);
    expect(new Set(later.map((w) => w.historyEventsPerCycle)).size).toBe(1);
    expect(later[0]!.activityExecutionsPerCycle).toBe(1);
    expect(Math.max(...st.windows.map((w) => w.monitorHistoryLength))).toBeLessThan(20);

    expect(results.steady.windows[0]!.logRecordBytesPerCycle).toBeGreaterThan(100);

    const text = report(results, tiny.steadyPrintCycles);
    expect(text).toContain('EXTRAPOLATED');
    expect(text).toMatch(/detection\/bound/);
    expect(text).toContain('41-60');
    expect(text).not.toContain('timeline');
    expect(report(results, tiny.steadyPrintCycles, { trace: true })).toMatch(
      /N=3 timeline[^]*drApplyActions scheduled[^]*ARM phase 2: 3 writes over/,
    );
  }, 180_000); // the whole bench on a tiny estate (several host starts): minutes on 2 shared cores

  it('failed over: a drift check every 5 cycles adds one activity and one episode, and its ARM reads', async () => {
    const st = await measureSteadyState(20, 10, { failedOver: true });
    expect(st).toMatchObject({ state: 'failed-over', cycles: 20 });
    for (const w of st.windows) {
      // One probe per cycle plus one drift check per 5 cycles, each check one more monitor episode.
      expect(w.activityExecutionsPerCycle).toBeCloseTo(1.2, 6);
      expect(w.orchestratorEpisodesPerCycle).toBeCloseTo(3.2, 6);
    }
    // examples/plan.json: one list read per region's resource group, a site and a settings read per Standard
    // workflow alone on its site (2 regions): 6 ARM reads per check.
    expect(st.armRequestsPerCycle).toBeCloseTo(6 / 5, 6);
    expect(failedOverReport(st)).toMatch(/3b\. Failed over: 20 probe cycles[^]*ARM requests 1\.20/);
  }, 120_000);

  it('status latency: the seeded hub is read no more than the empty one, and the report says so', async () => {
    const r = await measureStatusLatency(5, { operations: 6, entriesPerOperation: 1, notifications: 30 });
    const [empty, years] = r.samples;
    expect(years!.instancesInHub).toBeGreaterThan(empty!.instancesInHub + 40);
    expect(years!.instancesReadPerRequest).toBe(empty!.instancesReadPerRequest);
    expect(statusLatencyReport(r)).toMatch(/4\. GET \/api\/status latency[^]*p99 ratio/);
  });
});
