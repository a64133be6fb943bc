/**
 * Detection: virtual time from the start of a primary outage to the failover decision (the monitor starting
 * the operation), with the example plan's policy, for outages starting at several offsets after a probe.
 * Bound: failureThreshold × probeInterval + timeout (the last probe may use its whole timeout).
 */
import { durationMs } from '../src/core/duration';
import { ORCHESTRATIONS, type OperationRecord } from '../src/durable/contracts';
import { loadPlan } from '../src/plan/load';
import { loadEntryDefinitions } from '../local/sim/sample-estate';
import { BenchmarkError } from './actuation';
import { EXAMPLE_PLAN, startBenchEstate } from './estate';

export interface DetectionRun {
  /** Outage start after the last (healthy) probe, ms. */
  offsetMs: number;
  outageAt: string;
  /** The first failed probe, from the operation's evidence. */
  firstFailureAt: string | undefined;
  /** When the monitor started the failover operation (its instance's creation, orchestration time). */
  decisionAt: string;
  detectionMs: number;
  failedProbes: number | undefined;
}

export interface DetectionResult {
  plan: string;
  outage: string;
  probeIntervalMs: number;
  failureThreshold: number;
  timeoutMs: number;
  /** threshold × interval + timeout */
  boundMs: number;
  runs: DetectionRun[];
  minMs: number;
  maxMs: number;
  meanMs: number;
}

const WARMUP_MS = 120_000;
/** Stop looking for a decision after this much virtual time (several times the bound). */
const GIVE_UP_MS = 15 * 60_000;

/** One fresh control plane per offset: each run starts from a healthy, monitoring state. */
export async function measureDetection(offsetsMs: readonly number[]): Promise<DetectionResult> {
  const { plan } = loadPlan({ kind: 'file', path: EXAMPLE_PLAN });
  const definitions = loadEntryDefinitions(plan, EXAMPLE_PLAN);
  const probeIntervalMs = durationMs(plan.policy.probeInterval);
  const failureThreshold = plan.policy.failureThreshold ?? plan.policy.window?.failures ?? 1;
  const timeoutMs = durationMs(plan.healthCheck.timeout);
  for (const offset of offsetsMs) {
    if (!(offset >= 0 && offset < probeIntervalMs))
      throw new BenchmarkError(
        `detection offset ${offset} ms is not within one probe interval (${probeIntervalMs} ms)`,
      );
  }

  const runs: DetectionRun[] = [];
  for (const offsetMs of offsetsMs) {
    const estate = await startBenchEstate({ plan, definitions });
    try {
      const { host } = estate;
      // The start is aligned to a watchdog tick, so after the warm-up the last probe ran just now.
      await estate.advance(WARMUP_MS);
      if (estate.monitor()?.state.mode !== 'monitoring')
        throw new BenchmarkError(
          `monitor is not monitoring after the warm-up (${estate.monitor()?.state.mode})`,
        );
      if (offsetMs > 0) await estate.advance(offsetMs, offsetMs);
      const outageAt = host.clock.now();
      await estate.sim.outage(plan.primary.location, { kind: 'down', mode: 'refused' });

      let op: { createdTime: string; output: unknown; input: unknown } | undefined;
      while (!op && host.clock.now() - outageAt < GIVE_UP_MS) {
        await estate.advance(5_000, 5_000);
        op = host.durable.list().find((s) => s.name === ORCHESTRATIONS.operation);
      }
      if (!op)
        throw new BenchmarkError(
          `no failover within ${GIVE_UP_MS / 60_000} min of the outage (offset ${offsetMs} ms)`,
        );
      const evidence = (op.input as { evidence?: OperationRecord['evidence'] }).evidence;
      runs.push({
        offsetMs,
        outageAt: new Date(outageAt).toISOString(),
        firstFailureAt: evidence?.firstFailureAt,
        decisionAt: op.createdTime,
        detectionMs: Date.parse(op.createdTime) - outageAt,
        failedProbes: evidence?.consecutiveFailures,
      });
    } finally {
      await estate.stop();
    }
  }
  const values = runs.map((r) => r.detectionMs);
  return {
    plan: 'examples/plan.json',
    outage: 'primary region down (connections refused)',
    probeIntervalMs,
    failureThreshold,
    timeoutMs,
    boundMs: failureThreshold * probeIntervalMs + timeoutMs,
    runs,
    minMs: Math.min(...values),
    maxMs: Math.max(...values),
    meanMs: values.reduce((a, b) => a + b, 0) / values.length,
  };
}
