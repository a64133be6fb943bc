/**
 * Child-process entry that runs one actuation measurement, so the long N = 1000 failover (bound by ARM's
 * buckets, mostly idle) overlaps the CPU-bound benchmarks instead of adding to the run's wall time.
 */
import { measureActuation, type ActuationOptions } from './actuation';

export interface WorkerRequest {
  workflows: number;
  options: Omit<ActuationOptions, 'trace'>;
  /** Print each stage on stderr. */
  trace?: boolean;
}

process.once('message', (request: WorkerRequest) => {
  const trace = request.trace
    ? (stage: string) => process.stderr.write(`[bench] actuation N=${request.workflows} (worker): ${stage}\n`)
    : undefined;
  measureActuation(request.workflows, { ...request.options, ...(trace ? { trace } : {}) }).then(
    (result) => process.send!({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send!(
        { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        () => process.exit(1),
      ),
  );
});
