/**
 * Steady state: a healthy primary probed for many cycles on virtual time. Per probe cycle, the function
 * executions, durable history events and heap must stay flat, and the monitor's live history bounded (it
 * continues as new after every signal). The host's determinism double-replay is OFF here. With `failedOver`,
 * the same after a failover (primary unhealthy, ARM up): what a failed-over month costs, drift checks included,
 * with the ARM requests per cycle.
 */
import { ORCHESTRATIONS, monitorInstanceId } from '../src/durable/contracts';
import { durationMs } from '../src/core/duration';
import { loadPlan } from '../src/plan/load';
import { loadEntryDefinitions } from '../local/sim/sample-estate';
import { installEventSink } from '../src/telemetry/events';
import { BenchmarkError } from './actuation';
import { EXAMPLE_PLAN, startBenchEstate } from './estate';

export interface SteadyWindow {
  /** First and last probe cycle of the window, 1-based. */
  fromCycle: number;
  toCycle: number;
  functionExecutionsPerCycle: number;
  historyEventsPerCycle: number;
  orchestratorEpisodesPerCycle: number;
  activityExecutionsPerCycle: number;
  /** Heap used at the end of the window (after a full GC when the run exposes one), MiB. */
  heapUsedMiB: number;
  /** Events in the monitor's current execution's history. */
  monitorHistoryLength: number;
  wallMsPerCycle: number;
  /** Bytes of the structured log records (src/telemetry/events.ts: heartbeats, events) per cycle. */
  logRecordBytesPerCycle: number;
}

export interface SteadyResult {
  plan: string;
  /** `healthy`: never failed over; `failed-over`: measured after a failover, the primary still unhealthy. */
  state?: 'healthy' | 'failed-over';
  /** ARM requests per probe cycle (failed-over runs: the drift checks' reads; the probe's are not ARM). */
  armRequestsPerCycle?: number;
  cycles: number;
  windowCycles: number;
  determinismCheck: false;
  gcBeforeHeapSample: boolean;
  probes: number;
  operations: number;
  monitorExecutions: number;
  windows: SteadyWindow[];
  /** Heap growth per cycle between the end of the first and the last window, bytes (includes warm-up). */
  heapGrowthPerCycleBytes: number;
  /** The same over the second half of the run only, once caches and JIT have settled. */
  heapGrowthSecondHalfPerCycleBytes: number;
  wallMs: number;
}

const MiB = 1024 * 1024;

/** A full collection when node runs with --expose-gc, so heap samples show what is retained. */
function collect(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  return true;
}

export async function measureSteadyState(
  cycles: number,
  windowCycles = 100,
  options: { failedOver?: boolean } = {},
): Promise<SteadyResult> {
  if (!Number.isInteger(cycles / windowCycles) || cycles < windowCycles)
    throw new BenchmarkError(
      `cycles (${cycles}) must be a positive multiple of windowCycles (${windowCycles})`,
    );
  const { plan } = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
  const estate = await startBenchEstate({
    plan,
    definitions: loadEntryDefinitions(plan, EXAMPLE_PLAN),
    checkDeterminism: false,
  });
  try {
    const { host } = estate;
    const intervalMs = durationMs(plan.policy.probeInterval);
    const monitorId = monitorInstanceId(plan.id);
    const expectedMode = options.failedOver ? 'failed-over' : 'monitoring';
    if (options.failedOver) {
      await estate.sim.outage(plan.primary.location, { kind: 'unhealthy', mode: 'status' });
      const settled = () => {
        const m = estate.monitor();
        return m?.state.mode === 'failed-over' && !m.activeOperation;
      };
      for (let waited = 0; !settled() && waited < 30 * 60_000; waited += intervalMs)
        await estate.advance(intervalMs, intervalMs);
      if (!settled())
        throw new BenchmarkError(
          `the failover did not finish within 30 min (mode ${estate.monitor()?.state.mode})`,
        );
      // Past the operation's own notifications and the first drift check, into the steady rhythm.
      await estate.advance(10 * intervalMs, intervalMs);
      await estate.sim.clearRequestLog();
    }
    const windows: SteadyWindow[] = [];
    let gcBeforeHeapSample = false;
    let recordBytes = 0;
    let recordBytesBefore = 0;
    installEventSink((line) => (recordBytes += Buffer.byteLength(line) + 1));
    let before = host.stats();
    const started = performance.now();
    for (let from = 1; from <= cycles; from += windowCycles) {
      const windowStarted = performance.now();
      await estate.advance(windowCycles * intervalMs, intervalMs);
      const wall = performance.now() - windowStarted;
      const after = host.stats();
      gcBeforeHeapSample = collect();
      windows.push({
        fromCycle: from,
        toCycle: from + windowCycles - 1,
        functionExecutionsPerCycle: (after.functionExecutions - before.functionExecutions) / windowCycles,
        historyEventsPerCycle: (after.historyEvents - before.historyEvents) / windowCycles,
        orchestratorEpisodesPerCycle:
          (after.orchestratorEpisodes - before.orchestratorEpisodes) / windowCycles,
        activityExecutionsPerCycle: (after.activityExecutions - before.activityExecutions) / windowCycles,
        heapUsedMiB: process.memoryUsage().heapUsed / MiB,
        monitorHistoryLength: after.historyEventsByInstance[monitorId]?.current ?? 0,
        wallMsPerCycle: wall / windowCycles,
        logRecordBytesPerCycle: (recordBytes - recordBytesBefore) / windowCycles,
      });
      recordBytesBefore = recordBytes;
      before = after;
    }
    const monitor = estate.monitor();
    if (monitor?.state.mode !== expectedMode)
      throw new BenchmarkError(`the monitor is in mode ${monitor?.state.mode}, expected ${expectedMode}`);
    // ARM's own listener only: the probe's calls to the health-check trigger go to the runtime listener.
    const armRequests = options.failedOver
      ? (await estate.sim.requestLog()).filter((r) => r.listener === 'arm').length
      : undefined;
    const first = windows[0]!;
    const last = windows.at(-1)!;
    const middle = windows[Math.floor((windows.length - 1) / 2)]!;
    const growth = (a: SteadyWindow, b: SteadyWindow) =>
      b.toCycle > a.toCycle ? ((b.heapUsedMiB - a.heapUsedMiB) * MiB) / (b.toCycle - a.toCycle) : 0;
    return {
      plan: 'examples/plan.json',
      state: expectedMode === 'monitoring' ? 'healthy' : 'failed-over',
      ...(armRequests !== undefined ? { armRequestsPerCycle: armRequests / cycles } : {}),
      cycles,
      windowCycles,
      determinismCheck: false,
      gcBeforeHeapSample,
      probes: monitor.state.probes,
      operations: host.durable.list().filter((s) => s.name === ORCHESTRATIONS.operation).length,
      monitorExecutions: host.stats().historyEventsByInstance[monitorId]?.executions ?? 0,
      windows,
      heapGrowthPerCycleBytes: growth(first, last),
      heapGrowthSecondHalfPerCycleBytes: growth(middle, last),
      wallMs: performance.now() - started,
    };
  } finally {
    installEventSink(undefined);
    await estate.stop();
  }
}
