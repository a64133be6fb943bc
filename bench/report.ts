/** The benchmark results as plain-text tables (pure: results in, text out). */
import { table } from '../src/cli/table';
import type { ActuationResult, OneByOneResult } from './actuation';
import type { DetectionResult } from './detection';
import type { SteadyResult, SteadyWindow } from './steady';
import { STATUS_P99_MAX_RATIO, type StatusLatencyResult } from './task-hub';

export interface OneByOneEstimate {
  workflows: number;
  elapsedMs: number;
  /** Always true: computed, not measured. */
  extrapolated: true;
  basis: string;
}

export interface BenchResults {
  generatedAt: string;
  machine: {
    cpus: number;
    node: string;
    platform: string;
    /** os.loadavg() (1, 5, 15 min) when the run started and ended: other work on the machine shows here. */
    loadAverage?: { before: number[]; after: number[] };
  };
  totalWallMs: number;
  actuation: {
    scenario: string;
    latencyMs: number;
    runs: ActuationResult[];
    /** The same failover with the SDK's retries on (the composition root's default), for comparison. */
    sdkRetriesComparison: ActuationResult[];
    oneByOne: OneByOneResult[];
    oneByOneExtrapolated: OneByOneEstimate[];
  };
  detection: DetectionResult;
  steady: SteadyResult;
  /** The steady state after a failover (drift checks on). */
  steadyFailedOver?: SteadyResult;
  statusLatency?: StatusLatencyResult;
}

const s = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

/** Targets, as ratios to the floor measured in the same run (issue 11, point 4). */
export const RATIO_TARGETS: readonly { upTo: number; maxRatio: number }[] = [
  { upTo: 10, maxRatio: 1.5 },
  { upTo: 100, maxRatio: 2 },
  { upTo: Infinity, maxRatio: 1.1 },
];
/** ARM reads per workflow per failover when the plan's workflows share a resource group (the bench's do). */
export const MAX_READS_PER_WORKFLOW = 0.1;

export const ratioTarget = (n: number): number => RATIO_TARGETS.find((t) => n <= t.upTo)!.maxRatio;
export const readsPerWorkflow = (r: Pick<ActuationResult, 'arm' | 'workflows'>): number =>
  r.arm.reads / r.workflows;

/** PASS or FAIL of one run against the ratio and reads-per-workflow targets. */
export function verdict(r: Pick<ActuationResult, 'arm' | 'workflows' | 'ratio'>): {
  ratio: boolean;
  reads: boolean;
} {
  return { ratio: r.ratio <= ratioTarget(r.workflows), reads: readsPerWorkflow(r) <= MAX_READS_PER_WORKFLOW };
}
const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const x = (ratio: number) => `${ratio.toFixed(2)}x`;

/** One-by-one time for `n`, measured or extrapolated, when there is one. */
function oneByOneFor(results: BenchResults, n: number): { ms: number; extrapolated: boolean } | undefined {
  const measured = results.actuation.oneByOne.find((r) => r.workflows === n);
  if (measured) return { ms: measured.elapsedMs, extrapolated: false };
  const estimate = results.actuation.oneByOneExtrapolated.find((r) => r.workflows === n);
  return estimate ? { ms: estimate.elapsedMs, extrapolated: true } : undefined;
}

export function actuationTable(results: BenchResults): string {
  const rows = [...results.actuation.runs, ...results.actuation.sdkRetriesComparison]
    .sort((a, b) => a.workflows - b.workflows || a.sdkRetries - b.sdkRetries)
    .map((r) => {
      const seq = oneByOneFor(results, r.workflows);
      return {
        N: r.workflows,
        'SDK retries': r.sdkRetries,
        'elapsed s': s(r.elapsedMs),
        'bound s': s(r.boundMs),
        'elapsed/bound': x(r.ratio),
        target: `<= ${x(ratioTarget(r.workflows))} ${pass(verdict(r).ratio)}`,
        'reads/workflow': `${readsPerWorkflow(r).toFixed(3)} ${pass(verdict(r).reads)}`,
        'reads (refused)': `${r.arm.reads} (${r.arm.readsRefused})`,
        writes: r.arm.writes,
        'connections (opened)': r.connections ? `${r.connections.used} (${r.connections.opened})` : '-',
        '429s': r.arm.throttled,
        'activity retries': r.activityFailures,
        outcome: `${r.outcome}, ${r.secondariesEnabled}/${r.workflows} enabled, ${r.pendingFences} fences pending`,
        'one-by-one s': seq ? `${s(seq.ms)}${seq.extrapolated ? ' (extrapolated)' : ''}` : '-',
        'one-by-one/elapsed': seq && r.sdkRetries === 0 ? x(seq.ms / r.elapsedMs) : '-',
      };
    });
  return table(rows);
}

export function oneByOneTable(results: BenchResults): string {
  return table([
    ...results.actuation.oneByOne.map((r) => ({
      N: r.workflows,
      'elapsed s': s(r.elapsedMs),
      'per call ms': r.perCallMs.toFixed(1),
      'bound s': s(r.boundMs),
      reads: r.arm.reads,
      writes: r.arm.writes,
      '429s': r.arm.throttled,
      enabled: `${r.secondariesEnabled}/${r.workflows}`,
      note: 'measured',
    })),
    ...results.actuation.oneByOneExtrapolated.map((r) => ({
      N: r.workflows,
      'elapsed s': s(r.elapsedMs),
      'per call ms': '-',
      'bound s': '-',
      reads: '-',
      writes: '-',
      '429s': '-',
      enabled: '-',
      note: `EXTRAPOLATED: ${r.basis}`,
    })),
  ]);
}

export function detectionTable(d: DetectionResult): string {
  return table(
    d.runs.map((r) => ({
      'outage after last probe s': s(r.offsetMs),
      'outage at': r.outageAt.slice(11, 19),
      'first failed probe': r.firstFailureAt?.slice(11, 19) ?? '-',
      'failed probes': r.failedProbes ?? '-',
      'decision at': r.decisionAt.slice(11, 19),
      'detection s': s(r.detectionMs),
      'bound s': s(d.boundMs),
      'detection/bound': x(r.detectionMs / d.boundMs),
    })),
  );
}

function windowRow(w: SteadyWindow): Record<string, string | number> {
  return {
    cycles: `${w.fromCycle}-${w.toCycle}`,
    'executions/cycle': w.functionExecutionsPerCycle.toFixed(2),
    'history events/cycle': w.historyEventsPerCycle.toFixed(2),
    'episodes/cycle': w.orchestratorEpisodesPerCycle.toFixed(2),
    'activities/cycle': w.activityExecutionsPerCycle.toFixed(2),
    'heap used MiB': w.heapUsedMiB.toFixed(2),
    'monitor history': w.monitorHistoryLength,
    'wall ms/cycle': w.wallMsPerCycle.toFixed(2),
  };
}

/** The windows covering the first and the last `printCycles` cycles (all of them for a short run). */
export function steadyTable(steady: SteadyResult, printCycles: number): string {
  const first = steady.windows.filter((w) => w.toCycle <= printCycles);
  const last = steady.windows.filter((w) => w.fromCycle > steady.cycles - printCycles);
  const shown = new Set([...first, ...last]);
  const rows: Record<string, string | number>[] = [];
  for (const w of steady.windows) {
    if (shown.has(w)) rows.push(windowRow(w));
    else if (rows.at(-1)?.cycles !== '...')
      rows.push(Object.fromEntries(Object.keys(windowRow(w)).map((k) => [k, '...'])));
  }
  return table(rows);
}

/**
 * Each run's stages in time order, with the time since the previous one: where an operation's time goes
 * (`--trace`). Orchestration steps come from the durable histories, ARM phases from the simulator's log.
 */
export function stageTimeline(run: Pick<ActuationResult, 'workflows' | 'stages' | 'elapsedMs'>): string {
  let previous = 0;
  const lines = [...(run.stages ?? [])]
    .sort((a, b) => a.atMs - b.atMs)
    .map((st) => {
      const line =
        `     ${s(st.atMs).padStart(6)} s  +${(st.atMs - previous).toFixed(0).padStart(4)} ms  ${st.kind ?? ''}`.padEnd(
          38,
        ) + st.stage;
      previous = st.atMs;
      return line;
    });
  return [
    `   N=${run.workflows} timeline (ms from the request; elapsed ${s(run.elapsedMs)} s):`,
    ...lines,
    `     ${s(run.elapsedMs).padStart(6)} s  +${(run.elapsedMs - previous).toFixed(0).padStart(4)} ms  operation complete (the bench saw it)`,
  ].join('\n');
}

/** Section 4: GET /api/status on an empty task hub and on years of history (issue 18: flat within 20 %). */
export function statusLatencyReport(r: StatusLatencyResult): string {
  return [
    `4. GET /api/status latency, sequential requests after a warm-up (wall clock): an empty task hub vs one seeded`,
    `   with ${r.seeded.operations} operations (${r.seeded.entriesPerOperation} sub-orchestrations each) and ${r.seeded.notifications} delivered notifications.`,
    table(
      r.samples.map((x) => ({
        hub: x.hub,
        instances: x.instancesInHub,
        requests: x.requests,
        'p50 ms': x.p50Ms.toFixed(1),
        'p99 ms': x.p99Ms.toFixed(1),
        'max ms': x.maxMs.toFixed(1),
        'read/request': x.instancesReadPerRequest.toFixed(1),
      })),
    ),
    `   p99 ratio ${r.p99Ratio.toFixed(2)} (target <= ${STATUS_P99_MAX_RATIO}): ${pass(r.p99Ratio <= STATUS_P99_MAX_RATIO)}`,
  ].join('\n');
}

/** Per-cycle counts after a failover: what the drift checks add to a failed-over month. */
export function failedOverReport(st: SteadyResult): string {
  const mean = (f: (w: SteadyWindow) => number) =>
    st.windows.reduce((n, w) => n + f(w), 0) / Math.max(1, st.windows.length);
  return [
    `3b. Failed over: ${st.cycles} probe cycles after a failover (primary unhealthy, its ARM up), drift checks on`,
    `   (every 5 cycles by default). Per cycle: executions ${mean((w) => w.functionExecutionsPerCycle).toFixed(2)},` +
      ` episodes ${mean((w) => w.orchestratorEpisodesPerCycle).toFixed(2)}, activities ${mean((w) => w.activityExecutionsPerCycle).toFixed(2)},` +
      ` history events ${mean((w) => w.historyEventsPerCycle).toFixed(2)}, log-record bytes ${mean((w) => w.logRecordBytesPerCycle).toFixed(0)},` +
      ` ARM requests ${(st.armRequestsPerCycle ?? 0).toFixed(2)}.`,
  ].join('\n');
}

export function report(
  results: BenchResults,
  steadyPrintCycles: number,
  options: { trace?: boolean } = {},
): string {
  const a = results.actuation;
  const d = results.detection;
  const st = results.steady;
  const firstW = st.windows[0];
  const lastW = st.windows.at(-1);
  return [
    `logic-apps-failover benchmarks (${results.machine.cpus} CPUs, Node ${results.machine.node}, ${results.generatedAt})`,
    ...(results.machine.loadAverage
      ? [
          `load average (1/5/15 min) before ${results.machine.loadAverage.before.map((l) => l.toFixed(2)).join(' ')}, after ${results.machine.loadAverage.after.map((l) => l.toFixed(2)).join(' ')}`,
        ]
      : []),
    '',
    `1. Actuation: failover of N active-passive workflows, ${a.scenario}; ARM latency ${a.latencyMs} ms, ARM's buckets`,
    '   (reads 250 + 25/s, writes 200 + 10/s per subscription) in the simulator and in the client-side pacer.',
    '   elapsed: failover request -> operation complete (real orchestrations on the in-process host, real clock).',
    '   bound: token-bucket floor for the ARM requests the operation made (phases: plan reads, enables, read-back).',
    `   targets: elapsed/bound <= ${RATIO_TARGETS.map((t) => `${x(t.maxRatio)} up to N=${t.upTo}`)
      .join(', ')
      .replace('up to N=Infinity', 'beyond')}; ARM reads per workflow <= ${MAX_READS_PER_WORKFLOW}.`,
    actuationTable(results),
    ...results.actuation.runs.map(
      (r) =>
        `   N=${r.workflows}: ${r.work?.orchestratorEpisodes ?? '?'} orchestrator episodes, ${r.work?.activityExecutions ?? '?'} activities; ` +
        (r.stages ?? [])
          .filter((st) => st.kind !== 'step')
          .map((st) => `${s(st.atMs)} ${st.stage}`)
          .join(' | '),
    ),
    ...(options.trace ? results.actuation.runs.map(stageTimeline) : []),
    '',
    '   One by one: the same N enables as sequential adapter calls (each: idempotent read + enable), no fan-out;',
    '   measured at every size (the largest in a child process, alongside the other benchmarks), never estimated',
    '   unless marked EXTRAPOLATED (--quick).',
    oneByOneTable(results),
    '',
    `2. Detection: outage start -> failover decision, virtual time, ${d.plan} policy (threshold ${d.failureThreshold},`,
    `   interval ${s(d.probeIntervalMs)} s, timeout ${s(d.timeoutMs)} s), ${d.outage}. Bound = threshold x interval + timeout = ${s(d.boundMs)} s.`,
    detectionTable(d),
    `   min ${s(d.minMs)} s, mean ${s(d.meanMs)} s, max ${s(d.maxMs)} s; max/bound ${x(d.maxMs / d.boundMs)}`,
    '',
    `3. Steady state: ${st.cycles} healthy probe cycles (virtual time), ${st.plan}; determinism double-replay OFF;`,
    `   heap sampled ${st.gcBeforeHeapSample ? 'after a forced full GC' : 'WITHOUT a forced GC (run node with --expose-gc)'}; ARM simulator in a child process (not in the heap).`,
    steadyTable(st, steadyPrintCycles),
    `   probes ${st.probes} (one per cycle), operations ${st.operations}, monitor executions ${st.monitorExecutions};` +
      (firstW && lastW
        ? ` executions/cycle first ${firstW.functionExecutionsPerCycle.toFixed(2)} vs last ${lastW.functionExecutionsPerCycle.toFixed(2)},` +
          ` heap ${firstW.heapUsedMiB.toFixed(1)} -> ${lastW.heapUsedMiB.toFixed(1)} MiB` +
          ` (${st.heapGrowthPerCycleBytes.toFixed(0)} B/cycle overall, ${st.heapGrowthSecondHalfPerCycleBytes.toFixed(0)} B/cycle over the second half)`
        : ''),
    ...(results.steadyFailedOver ? ['', failedOverReport(results.steadyFailedOver)] : []),
    ...(results.statusLatency ? ['', statusLatencyReport(results.statusLatency)] : []),
    '',
    `Total wall time ${s(results.totalWallMs)} s.`,
  ].join('\n');
}
