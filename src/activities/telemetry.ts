/** The operation's telemetry, written once when it ends: its span, one span per group, duration and RTO. */
import type { OperationTelemetry } from '../durable/contracts';
import { recordOperation as recordOperationMetrics } from '../telemetry/metrics';
import { emitOperationSpans } from '../telemetry/tracing';

export function telemetryActivities() {
  /** Never throws: the orchestration calls it without retries, and a telemetry failure is only telemetry. */
  const recordOperation = async (t: OperationTelemetry): Promise<void> => {
    emitOperationSpans(t);
    recordOperationMetrics(t);
  };
  return { recordOperation };
}
