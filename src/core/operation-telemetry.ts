/**
 * One trace per operation, as pure data. An orchestration replays and cannot hold a span open across its
 * episodes, so the trace's ids are derived from the plan and operation ids (W3C trace context, hex): the
 * operation span and one span per group get ids every episode computes alike, activities run as their children (the
 * traceparent travels in their inputs), and the operation and group spans are written once, at the end, from
 * the audit record's own (orchestration) times by an activity. The same operation always gives the same
 * trace id, so an operator can find the trace from the audit record.
 */
import { stableHash } from './hash';
import type { OperationInput, OperationOutcome } from './monitor-record';
import type { OperationRecord } from './operation-record';

/** What an activity input carries to run as a span of the operation's trace (stripped before the activity). */
export interface TraceCarrier {
  /** W3C traceparent of the parent span: the operation's, or its group's. */
  traceparent: string;
  operationId: string;
  /** The plan group the activity works for, when it works for one. */
  group?: number;
}

const spanIdOf = (text: string): string => {
  const id = stableHash(text).slice(0, 16);
  // An all-zero id is invalid in W3C trace context.
  return /^0+$/.test(id) ? '0000000000000001' : id;
};

/**
 * The operation's trace id (32 hex digits) and its root span's id (16 hex digits). Operation ids are unique
 * within a plan (`failover-1-<time>`), so the plan id is part of the hash.
 */
export function operationTraceIds(planId: string, operationId: string): { traceId: string; spanId: string } {
  const traceId = stableHash(`trace:${planId}:${operationId}`);
  return {
    traceId: /^0+$/.test(traceId) ? '00000000000000000000000000000001' : traceId,
    spanId: spanIdOf(`operation:${planId}:${operationId}`),
  };
}

/** The span id of the operation's group at position `index` (0, 1, ... in the order the groups ran). */
export const groupSpanId = (planId: string, operationId: string, index: number): string =>
  spanIdOf(`group:${planId}:${operationId}:${index}`);

const traceparent = (traceId: string, spanId: string): string => `00-${traceId}-${spanId}-01`;

/** The carrier of activities that work for the whole operation (planning). */
export function operationCarrier(planId: string, operationId: string): TraceCarrier {
  const { traceId, spanId } = operationTraceIds(planId, operationId);
  return { traceparent: traceparent(traceId, spanId), operationId };
}

/** The carrier of activities that work for one group (its entries, its check, its read-back). */
export function groupCarrier(
  planId: string,
  operationId: string,
  index: number,
  group: number,
): TraceCarrier {
  const { traceId } = operationTraceIds(planId, operationId);
  return { traceparent: traceparent(traceId, groupSpanId(planId, operationId, index)), operationId, group };
}

/** One group of an operation as its span shows it. */
export interface GroupTelemetry {
  /** The plan's group number. */
  group: number;
  startedAt: string;
  endedAt: string;
  entries: number;
  /** Entries with a failed or blocked step, or held whole. */
  failedEntries: number;
}

/** Everything the operation's span, its group spans and its metrics are written from: the record, condensed. */
export interface OperationTelemetry {
  operationId: string;
  planId: string;
  direction: OperationInput['request']['direction'];
  kind: OperationInput['request']['kind'];
  trigger: OperationInput['request']['trigger'];
  outcome: OperationOutcome | 'running';
  startedAt: string;
  endedAt: string;
  durationMs: number;
  groups: GroupTelemetry[];
  rto: { measuredMs?: number; predictedMs?: number; basis?: string };
  error?: string;
}

const FAILED_STEPS = new Set(['failed', 'blocked']);

/**
 * The operation's telemetry from its audit record: it starts at the record's first timeline entry and ends at
 * `endedAt` (orchestration time); group i ran from its safety check (`checks[i]`) to its read-back
 * (`readBack[i + 1]`: `readBack[0]` is the estate as planning read it).
 */
export function operationTelemetry(record: OperationRecord, endedAt: Date): OperationTelemetry {
  const startedAt = record.timeline[0]?.at ?? endedAt.toISOString();
  const groups = record.checks.map((check, i): GroupTelemetry => {
    const entries = record.entries.filter((e) => e.group === check.group);
    return {
      group: check.group,
      startedAt: check.at,
      endedAt: record.readBack[i + 1]?.at ?? endedAt.toISOString(),
      entries: entries.length,
      failedEntries: entries.filter((e) => e.blocked || e.steps.some((s) => FAILED_STEPS.has(s.status)))
        .length,
    };
  });
  return {
    operationId: record.operationId,
    planId: record.planId,
    direction: record.request.direction,
    kind: record.request.kind,
    trigger: record.request.trigger,
    outcome: record.status,
    startedAt,
    endedAt: endedAt.toISOString(),
    durationMs: Math.max(0, endedAt.getTime() - Date.parse(startedAt)),
    groups,
    rto: {
      ...(record.rto.measuredMs !== undefined ? { measuredMs: record.rto.measuredMs } : {}),
      ...(record.rto.predictedMs !== undefined ? { predictedMs: record.rto.predictedMs } : {}),
      ...(record.rto.basis ? { basis: record.rto.basis } : {}),
    },
    ...(record.error ? { error: record.error.slice(0, 300) } : {}),
  };
}
