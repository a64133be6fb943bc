/**
 * The operation's trace: one trace per failover or failback (ids derived from the operation id, see
 * src/core/operation-telemetry.ts), its activities and ARM calls as spans carrying the operation id. Activities
 * open their span under the carrier their input brought; the operation and group spans are written once at the
 * end, with the ids every child already names as its parent. Without a tracer provider every span is a no-op;
 * nothing here throws into the code it observes.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  createContextKey,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { groupSpanId, operationTraceIds } from '../core/operation-telemetry';
import type { OperationTelemetry, TraceCarrier } from '../core/operation-telemetry';
import { operationAttributes } from './metrics';

/** The instrumentation scope of every span and metric of the control plane. */
export const SCOPE = 'logic-apps-failover';

/** Span names, as Application Insights (requests/dependencies) and an OTLP backend show them. */
export const SPANS = {
  operation: 'dr.operation',
  group: 'dr.group',
  activity: (name: string) => `dr.activity ${name}`,
} as const;

const OPERATION_ID = createContextKey('dr.operation.id');

/**
 * Random ids, except for the span being started inside `withIds`: the tracer provider the composition root
 * starts uses it, so the operation and group spans get the ids their children were given as parents.
 */
export class PresetIdGenerator implements IdGenerator {
  private preset: { traceId: string; spanId: string } | undefined;
  private readonly random = new RandomIdGenerator();

  generateTraceId(): string {
    return this.preset?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.preset?.spanId ?? this.random.generateSpanId();
  }

  /** Starts a span synchronously inside `start`: only it gets these ids. */
  withIds<T>(ids: { traceId: string; spanId: string }, start: () => T): T {
    this.preset = ids;
    try {
      return start();
    } finally {
      this.preset = undefined;
    }
  }
}

export const presetIds = new PresetIdGenerator();

const tracer = () => trace.getTracer(SCOPE);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The parent span a carrier names (remote: written by another invocation), or undefined when malformed. */
function parentOf(carrier: TraceCarrier): SpanContext | undefined {
  const m = TRACEPARENT.exec(carrier.traceparent);
  if (!m) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: TraceFlags.SAMPLED, isRemote: true };
}

const operationOf = (carrier: TraceCarrier): Attributes => ({
  'dr.operation.id': carrier.operationId,
  ...(carrier.group !== undefined ? { 'dr.group': carrier.group } : {}),
});

/**
 * Runs an activity as a span of its operation's trace (no carrier: as it is, no span). The span links the
 * invocation's own context (the Functions host's trace, when the worker instrumentation set one); what the
 * activity calls (ARM) runs under it and carries the operation id.
 */
export async function inActivitySpan<T>(
  name: string,
  carrier: TraceCarrier | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const started = carrier ? startActivitySpan(name, carrier) : undefined;
  if (!started) return run();
  const { span, ctx } = started;
  try {
    return await context.with(ctx, run);
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function startActivitySpan(name: string, carrier: TraceCarrier): { span: Span; ctx: Context } | undefined {
  try {
    const parent = parentOf(carrier);
    if (!parent) return undefined;
    const invocation = trace.getSpanContext(context.active());
    const links: Link[] = invocation ? [{ context: invocation }] : [];
    const parentCtx = trace.setSpanContext(ROOT_CONTEXT, parent).setValue(OPERATION_ID, carrier.operationId);
    const span = tracer().startSpan(
      SPANS.activity(name),
      { kind: SpanKind.INTERNAL, attributes: operationOf(carrier), links },
      parentCtx,
    );
    return { span, ctx: trace.setSpan(parentCtx, span) };
  } catch {
    return undefined;
  }
}

/** The operation id of the activity span the caller runs under, if any (for ARM spans and their metrics). */
export function activeOperationId(): string | undefined {
  return context.active().getValue(OPERATION_ID) as string | undefined;
}

function failed(span: Span, err: unknown): void {
  try {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  } catch {
    // nothing to do: the span is only telemetry
  }
}

/** A client span for one ARM request attempt, under the active span (an activity's, or the invocation's). */
export function startArmSpan(name: string, attributes: Attributes): Span | undefined {
  try {
    const operationId = activeOperationId();
    return tracer().startSpan(name, {
      kind: SpanKind.CLIENT,
      attributes: { ...attributes, ...(operationId ? { 'dr.operation.id': operationId } : {}) },
    });
  } catch {
    return undefined;
  }
}

/** Ends an ARM span with its answer (or why there was none). */
export function endArmSpan(span: Span | undefined, status: number | undefined, err?: unknown): void {
  if (!span) return;
  try {
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    if (err !== undefined) failed(span, err);
    else if (status !== undefined && status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  } catch {
    // the span is lost; the request's answer is not
  }
}

/**
 * The operation's span and one child per group, from the audit record's own times, with the ids the
 * activities named as their parents. Written once, by the recordOperation activity.
 */
export function emitOperationSpans(t: OperationTelemetry): void {
  try {
    const { traceId, spanId } = operationTraceIds(t.planId, t.operationId);
    const attributes = {
      ...operationAttributes(t),
      'dr.operation.id': t.operationId,
      'dr.operation.groups': t.groups.length,
      ...(t.rto.measuredMs !== undefined ? { 'dr.rto.measured_ms': t.rto.measuredMs } : {}),
      ...(t.rto.predictedMs !== undefined ? { 'dr.rto.predicted_ms': t.rto.predictedMs } : {}),
    };
    const op = presetIds.withIds({ traceId, spanId }, () =>
      tracer().startSpan(
        SPANS.operation,
        { kind: SpanKind.INTERNAL, root: true, startTime: new Date(t.startedAt), attributes },
        ROOT_CONTEXT,
      ),
    );
    const opCtx = trace.setSpan(ROOT_CONTEXT, op);
    t.groups.forEach((g, index) => {
      const span = presetIds.withIds({ traceId, spanId: groupSpanId(t.planId, t.operationId, index) }, () =>
        tracer().startSpan(
          SPANS.group,
          {
            kind: SpanKind.INTERNAL,
            startTime: new Date(g.startedAt),
            attributes: {
              'dr.operation.id': t.operationId,
              'dr.group': g.group,
              'dr.group.entries': g.entries,
              'dr.group.failed_entries': g.failedEntries,
            },
          },
          opCtx,
        ),
      );
      if (g.failedEntries > 0) span.setStatus({ code: SpanStatusCode.ERROR, message: 'entries failed' });
      span.end(new Date(g.endedAt));
    });
    if (t.outcome !== 'succeeded')
      op.setStatus({ code: SpanStatusCode.ERROR, message: t.error ?? t.outcome });
    op.end(new Date(t.endedAt));
  } catch {
    // the trace is incomplete; the operation is not
  }
}
