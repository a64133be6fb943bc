/**
 * `npm run bench`: actuation, detection and steady state in one run; prints tables and writes
 * bench/results.json. The N = 1000 failover and the same 1000 enables one by one run in child processes
 * alongside the others (one mostly waits on ARM's token buckets, the other on ARM's latency), which keeps
 * the whole run under five minutes on two cores although one by one at N = 1000 alone takes about 3.5 min.
 *
 * Options: --quick (small sizes, for a look in seconds), --out <file> (default bench/results.json), --trace
 * (print each actuation stage as it happens, to see where a stalled run waits, and each run's timeline in the
 * report: orchestration steps, ARM phases and the connections they opened, with the time between them).
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  BenchmarkError,
  measureActuation,
  measureOneByOne,
  type ActuationResult,
  type OneByOneResult,
} from './actuation';
import { measureDetection } from './detection';
import { report, type BenchResults, type OneByOneEstimate } from './report';
import { measureSteadyState } from './steady';
import { measureStatusLatency, YEARS_OF_SERVICE, type SeedCounts } from './task-hub';
import type { WorkerRequest } from './worker';

export interface BenchConfig {
  latencyMs: number;
  /** Failovers measured in this process, one after the other. */
  actuationSizes: number[];
  /** Failovers measured in child processes, concurrently with everything else. */
  forkedActuationSizes: number[];
  /** The same failover with SDK retries on (the composition root's default), when set. */
  sdkRetriesComparison?: { workflows: number; sdkRetries: number };
  oneByOneSizes: number[];
  /** One-by-one runs measured in child processes, concurrently with everything else. */
  forkedOneByOneSizes: number[];
  /** Sizes for which one-by-one is extrapolated from the largest measured size (--quick only). */
  extrapolateOneByOneTo: number[];
  detectionOffsetsMs: number[];
  steadyCycles: number;
  steadyWindowCycles: number;
  /** Cycles measured after a failover (drift checks on); 0 or absent: not measured. */
  failedOverCycles?: number;
  /** How many of the first and last steady-state cycles the table shows. */
  steadyPrintCycles: number;
  /** GET /api/status latency on an empty and on a seeded task hub (bench/task-hub.ts), when set. */
  statusLatency?: { requests: number; seed: SeedCounts };
}

export const FULL: BenchConfig = {
  latencyMs: 100,
  actuationSizes: [10, 100],
  forkedActuationSizes: [1000],
  oneByOneSizes: [10, 100],
  forkedOneByOneSizes: [1000],
  extrapolateOneByOneTo: [],
  detectionOffsetsMs: [0, 5_000, 10_000, 15_000, 20_000, 25_000],
  steadyCycles: 10_000,
  steadyWindowCycles: 100,
  failedOverCycles: 1_000,
  steadyPrintCycles: 1_000,
  statusLatency: { requests: 300, seed: YEARS_OF_SERVICE },
};

export const QUICK: BenchConfig = {
  latencyMs: 100,
  actuationSizes: [10],
  forkedActuationSizes: [50],
  oneByOneSizes: [5, 10],
  forkedOneByOneSizes: [],
  extrapolateOneByOneTo: [100, 1000],
  detectionOffsetsMs: [0, 15_000],
  steadyCycles: 400,
  steadyWindowCycles: 50,
  failedOverCycles: 100,
  steadyPrintCycles: 100,
  statusLatency: { requests: 50, seed: { operations: 50, entriesPerOperation: 2, notifications: 1_000 } },
};

/** Runs one measurement in a child process (same tsx loader as this one). */
function forkWorker(request: WorkerRequest & { kind: 'actuation' }): Promise<ActuationResult>;
function forkWorker(request: WorkerRequest & { kind: 'one-by-one' }): Promise<OneByOneResult>;
function forkWorker(request: WorkerRequest): Promise<ActuationResult | OneByOneResult> {
  const what = `${request.kind ?? 'actuation'} of ${request.workflows} workflows`;
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'worker.ts'), [], { execArgv: ['--import', 'tsx'] });
    let answered = false;
    child.once(
      'message',
      (reply: { ok: true; result: ActuationResult | OneByOneResult } | { ok: false; error: string }) => {
        answered = true;
        if (reply.ok) resolve(reply.result);
        else reject(new BenchmarkError(`${what} failed in its worker: ${reply.error}`));
      },
    );
    child.once('exit', (code, signal) => {
      if (!answered)
        reject(new BenchmarkError(`the worker for ${what} exited (code ${code}, signal ${signal})`));
    });
    child.send(request);
  });
}

/** Keeps an early failure of a background run from going unhandled until it is awaited (and reported). */
function background<T>(run: Promise<T>): Promise<T> {
  run.catch(() => undefined);
  return run;
}

/** Linear in the per-call time of the largest measured size (the buckets never bind at one call at a time). */
export function extrapolateOneByOne(
  measured: readonly OneByOneResult[],
  sizes: readonly number[],
): OneByOneEstimate[] {
  const basis = [...measured].sort((a, b) => b.workflows - a.workflows)[0];
  if (!basis) return [];
  return sizes.map((workflows) => ({
    workflows,
    elapsedMs: basis.perCallMs * workflows,
    extrapolated: true,
    basis: `${basis.perCallMs.toFixed(1)} ms per call (measured at N=${basis.workflows}) x ${workflows}`,
  }));
}

export async function runBenchmarks(
  config: BenchConfig,
  progress: (line: string) => void = () => undefined,
  trace?: (line: string) => void,
): Promise<BenchResults> {
  const started = performance.now();
  const options = { latencyMs: config.latencyMs };
  const traced = (label: string) => (trace ? { trace: (stage: string) => trace(`${label}: ${stage}`) } : {});
  const loadBefore = loadavg();
  // The small failovers first, alone: their time is mostly the host's and the simulator's CPU, which the
  // benchmarks in child processes would otherwise compete for (two cores). The forks add about 5 s this way.
  const runs: ActuationResult[] = [];
  for (const n of config.actuationSizes) {
    const r = await measureActuation(n, { ...options, ...traced(`actuation N=${n}`) });
    progress(
      `actuation N=${n}: ${(r.elapsedMs / 1000).toFixed(2)} s (bound ${(r.boundMs / 1000).toFixed(2)} s)`,
    );
    runs.push(r);
  }
  const forked = config.forkedActuationSizes.map((workflows) => {
    progress(`actuation N=${workflows}: started in a child process`);
    return background(forkWorker({ kind: 'actuation', workflows, options, trace: trace !== undefined }));
  });
  const forkedOneByOne = config.forkedOneByOneSizes.map((workflows) => {
    progress(`one-by-one N=${workflows}: started in a child process`);
    return background(forkWorker({ kind: 'one-by-one', workflows, options }));
  });

  const sdkRetriesComparison: ActuationResult[] = [];
  if (config.sdkRetriesComparison) {
    const { workflows, sdkRetries } = config.sdkRetriesComparison;
    const r = await measureActuation(workflows, {
      ...options,
      sdkRetries,
      ...traced(`actuation N=${workflows} SDK retries ${sdkRetries}`),
    });
    progress(`actuation N=${workflows} with ${sdkRetries} SDK retries: ${(r.elapsedMs / 1000).toFixed(2)} s`);
    sdkRetriesComparison.push(r);
  }
  const oneByOne: OneByOneResult[] = [];
  for (const n of config.oneByOneSizes) {
    const r = await measureOneByOne(n, options);
    progress(`one-by-one N=${n}: ${(r.elapsedMs / 1000).toFixed(2)} s`);
    oneByOne.push(r);
  }
  const detection = await measureDetection(config.detectionOffsetsMs);
  progress(`detection: ${detection.runs.map((r) => (r.detectionMs / 1000).toFixed(0)).join(', ')} s`);
  const steady = await measureSteadyState(config.steadyCycles, config.steadyWindowCycles);
  progress(`steady state: ${config.steadyCycles} cycles in ${(steady.wallMs / 1000).toFixed(1)} s`);
  const failedOver = config.failedOverCycles
    ? await measureSteadyState(config.failedOverCycles, config.steadyWindowCycles, { failedOver: true })
    : undefined;
  if (failedOver)
    progress(`failed over: ${config.failedOverCycles} cycles in ${(failedOver.wallMs / 1000).toFixed(1)} s`);
  const statusLatency = config.statusLatency
    ? await measureStatusLatency(config.statusLatency.requests, config.statusLatency.seed)
    : undefined;
  if (statusLatency) progress(`status latency: p99 ratio ${statusLatency.p99Ratio.toFixed(2)}`);

  for (const [i, run] of forked.entries()) {
    const r = await run;
    progress(
      `actuation N=${config.forkedActuationSizes[i]}: ${(r.elapsedMs / 1000).toFixed(1)} s (bound ${(r.boundMs / 1000).toFixed(1)} s)`,
    );
    runs.push(r);
  }
  runs.sort((a, b) => a.workflows - b.workflows);
  for (const [i, run] of forkedOneByOne.entries()) {
    const r = await run;
    progress(`one-by-one N=${config.forkedOneByOneSizes[i]}: ${(r.elapsedMs / 1000).toFixed(1)} s`);
    oneByOne.push(r);
  }
  oneByOne.sort((a, b) => a.workflows - b.workflows);

  return {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverage: { before: loadBefore, after: loadavg() },
    },
    totalWallMs: performance.now() - started,
    actuation: {
      scenario:
        'primary region down (ARM requests to it refused): fences pending, only the secondary written',
      latencyMs: config.latencyMs,
      runs,
      sdkRetriesComparison,
      oneByOne,
      oneByOneExtrapolated: extrapolateOneByOne(oneByOne, config.extrapolateOneByOneTo),
    },
    detection,
    steady,
    ...(failedOver ? { steadyFailedOver: failedOver } : {}),
    ...(statusLatency ? { statusLatency } : {}),
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const config = argv.includes('--quick') ? QUICK : FULL;
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 && argv[outIndex + 1] ? argv[outIndex + 1]! : join(__dirname, 'results.json');
  const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const trace = argv.includes('--trace');
  const results = await runBenchmarks(config, say, trace ? say : undefined);
  process.stdout.write(`${report(results, config.steadyPrintCycles, { trace })}\n`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write(`[bench] results written to ${out}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
