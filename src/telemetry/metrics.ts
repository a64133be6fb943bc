/**
 * The control plane's OpenTelemetry metrics (docs/observability.md lists them): instruments made from the meter
 * the composition root starts (src/telemetry/otel.ts), recorded from activities, triggers and the ARM adapter,
 * never from an orchestrator (replays would count twice). Without a meter every record is a no-op, and a
 * record never throws: telemetry must not fail what it observes.
 */
import type { Attributes, Counter, Gauge, Histogram, Meter } from '@opentelemetry/api';
import type { ReportedMode } from '../core/monitor';
import type { OperationTelemetry } from '../core/operation-telemetry';
import { ModeSchema } from '../http/schemas';

/** Metric names, as Application Insights `customMetrics` and an OTLP backend show them. */
export const METRICS = {
  probeDuration: 'dr.probe.duration',
  probeResults: 'dr.probe.results',
  consecutiveFailures: 'dr.monitor.consecutive_failures',
  mode: 'dr.monitor.mode',
  pendingFences: 'dr.fences.pending',
  operationDuration: 'dr.operation.duration',
  rto: 'dr.operation.rto',
  predictedRto: 'dr.operation.rto.predicted',
  armRequests: 'dr.arm.requests',
  armDuration: 'dr.arm.duration',
  armThrottled: 'dr.arm.throttled',
  armRetries: 'dr.arm.retries',
  notificationBacklog: 'dr.notifications.backlog',
} as const;

/** Every mode the gauge reports (the status API's modes): 1 for the monitor's mode, 0 for the others. */
export const MODES: readonly ReportedMode[] = ModeSchema.options;

// Milliseconds from a second to two hours: operations and RTOs are counted in minutes, not in ms buckets.
const LONG_MS_BUCKETS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 7_200_000,
];
const SHORT_MS_BUCKETS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000];

function instrumentsOf(meter: Meter) {
  const ms = (name: string, description: string, buckets: number[]): Histogram =>
    meter.createHistogram(name, { description, unit: 'ms', advice: { explicitBucketBoundaries: buckets } });
  const counter = (name: string, description: string, unit: string): Counter =>
    meter.createCounter(name, { description, unit });
  const gauge = (name: string, description: string, unit: string): Gauge =>
    meter.createGauge(name, { description, unit });
  return {
    probeDuration: ms(METRICS.probeDuration, 'Health probe latency of the primary region', SHORT_MS_BUCKETS),
    probeResults: counter(
      METRICS.probeResults,
      'Health probes by outcome (healthy, or the failure class)',
      '{probe}',
    ),
    consecutiveFailures: gauge(
      METRICS.consecutiveFailures,
      'Failed probes in a row, as the watchdog found the monitor',
      '{probe}',
    ),
    mode: gauge(METRICS.mode, "The monitor's mode: 1 for the current mode, 0 for the others", '1'),
    pendingFences: gauge(METRICS.pendingFences, 'Fences waiting for their region to answer', '{fence}'),
    operationDuration: ms(
      METRICS.operationDuration,
      'Failover or failback, from its request to its end',
      LONG_MS_BUCKETS,
    ),
    rto: ms(METRICS.rto, "Measured RTO: the audit record's rto.measuredMs", LONG_MS_BUCKETS),
    predictedRto: ms(
      METRICS.predictedRto,
      "Predicted RTO: the audit record's rto.predictedMs",
      LONG_MS_BUCKETS,
    ),
    armRequests: counter(METRICS.armRequests, 'ARM request attempts (retries included)', '{request}'),
    armDuration: ms(METRICS.armDuration, 'ARM request attempt duration', SHORT_MS_BUCKETS),
    armThrottled: counter(METRICS.armThrottled, 'ARM answers 429 (throttled)', '{request}'),
    armRetries: counter(
      METRICS.armRetries,
      'ARM request attempts that retried an earlier one (SDK retry policy)',
      '{request}',
    ),
    notificationBacklog: gauge(
      METRICS.notificationBacklog,
      'Notifications handed to the outbox and not yet delivered or dropped',
      '{notification}',
    ),
  };
}

type Instruments = ReturnType<typeof instrumentsOf>;

let instruments: Instruments | undefined;

/** Called by startTelemetry (and its shutdown): record with this meter, or (undefined) record nothing. */
export function useMeter(meter: Meter | undefined): void {
  instruments = meter ? instrumentsOf(meter) : undefined;
}

function record(write: (i: Instruments) => void): void {
  if (!instruments) return;
  try {
    write(instruments);
  } catch {
    // A metric that cannot be recorded is lost; what it measured goes on.
  }
}

const count = (c: Counter, attributes: Attributes) => c.add(1, attributes);
const set = (g: Gauge, value: number, attributes: Attributes) => g.record(value, attributes);

/** One health probe of the primary region, as the probe activity returned it. */
export function recordProbe(
  planId: string,
  probe: { healthy: boolean; latencyMs: number; failure?: string },
): void {
  const attributes = {
    'dr.plan.id': planId,
    'dr.probe.outcome': probe.healthy ? 'healthy' : (probe.failure ?? 'error'),
  };
  record((i) => {
    i.probeDuration.record(probe.latencyMs, attributes);
    count(i.probeResults, attributes);
  });
}

/** The monitor as the watchdog found it (each tick). */
export function recordMonitorState(s: {
  planId: string;
  mode?: ReportedMode;
  consecutiveFailures: number;
  pendingFences: number;
}): void {
  const plan = { 'dr.plan.id': s.planId };
  record((i) => {
    set(i.consecutiveFailures, s.consecutiveFailures, plan);
    set(i.pendingFences, s.pendingFences, plan);
    if (s.mode) for (const mode of MODES) set(i.mode, mode === s.mode ? 1 : 0, { ...plan, 'dr.mode': mode });
  });
}

/** The attributes of an operation's metrics and spans. */
export function operationAttributes(t: OperationTelemetry): Attributes {
  return {
    'dr.plan.id': t.planId,
    'dr.operation.direction': t.direction,
    'dr.operation.kind': t.kind,
    'dr.operation.trigger': t.trigger,
    'dr.operation.outcome': t.outcome,
  };
}

/** A finished failover or failback: its duration and its RTO, measured and predicted. */
export function recordOperation(t: OperationTelemetry): void {
  const attributes = operationAttributes(t);
  record((i) => {
    i.operationDuration.record(t.durationMs, attributes);
    const withBasis = t.rto.basis ? { ...attributes, 'dr.rto.basis': t.rto.basis } : attributes;
    if (t.rto.measuredMs !== undefined) i.rto.record(t.rto.measuredMs, withBasis);
    if (t.rto.predictedMs !== undefined) i.predictedRto.record(t.rto.predictedMs, withBasis);
  });
}

export interface ArmAttempt {
  /** The plan region the request is about (primary, secondary), or `other`. */
  region: string;
  kind: 'read' | 'write';
  /** The HTTP status ARM answered, or undefined when it did not answer (error.type says why). */
  status?: number;
  errorType?: string;
  durationMs: number;
  /** Not the request's first attempt: the SDK's retry policy sent it again. */
  retry: boolean;
}

/** One ARM request attempt (the adapter's pipeline policy). */
export function recordArmAttempt(a: ArmAttempt): void {
  const by = { 'dr.region': a.region, 'dr.arm.kind': a.kind };
  const outcome =
    a.status !== undefined
      ? { 'http.response.status_code': a.status }
      : { 'error.type': a.errorType ?? 'error' };
  record((i) => {
    count(i.armRequests, { ...by, ...outcome });
    i.armDuration.record(a.durationMs, { ...by, ...outcome });
    if (a.status === 429) count(i.armThrottled, by);
    if (a.retry) count(i.armRetries, by);
  });
}

/** How many notifications the outbox holds (the watchdog counts them). */
export function recordNotificationBacklog(planId: string, pending: number): void {
  record((i) => set(i.notificationBacklog, pending, { 'dr.plan.id': planId }));
}

/** Whether metrics are exported at all (so a count that costs a query is only made when someone reads it). */
export const metricsOn = (): boolean => instruments !== undefined;
