/**
 * Child-process entry that runs one long measurement, so it overlaps the CPU-bound benchmarks instead of
 * adding to the run's wall time: the N = 1000 failover (bound by ARM's buckets, mostly idle) and the same
 * 1000 enables one by one (bound by ARM's latency, idle between calls). Each has its own ARM simulator
 * process, so their buckets and latencies do not interfere.
 */
import { measureActuation, measureOneByOne, type ActuationOptions } from './actuation';

export interface WorkerRequest {
  /** A failover through the orchestrations (default), or the same enables one at a time. */
  kind?: 'actuation' | 'one-by-one';
  workflows: number;
  options: Omit<ActuationOptions, 'trace'>;
  /** Print each stage on stderr. */
  trace?: boolean;
}

process.once('message', (request: WorkerRequest) => {
  const kind = request.kind ?? 'actuation';
  const trace = request.trace
    ? (stage: string) => process.stderr.write(`[bench] ${kind} N=${request.workflows} (worker): ${stage}\n`)
    : undefined;
  const run =
    kind === 'one-by-one'
      ? measureOneByOne(request.workflows, request.options)
      : measureActuation(request.workflows, { ...request.options, ...(trace ? { trace } : {}) });
  run.then(
    (result) => process.send!({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send!(
        { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        () => process.exit(1),
      ),
  );
});
