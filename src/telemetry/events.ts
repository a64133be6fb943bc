/**
 * Structured log records for the alerts: one JSON line per event an operator may need to act on, written to
 * the Functions log (Application Insights `traces`, where infra/modules/alerts.bicep queries them). Each
 * names the plan and the event, with counts and outcomes, never keys or URLs. A workflow is named (by its
 * label, `region:name`) only where a person must act on that one workflow: a drift, the oldest pending fence.
 * Emitted from activities and triggers, never from the pure core or an orchestrator (replays would repeat them).
 */
import { reportedMode } from '../core/monitor';
import type { PendingFence } from '../core/monitor-record';
import { EVENT_TYPES } from '../core/notifications';
import type { InstanceInfo } from '../durable/client';
import { monitorOf, type DeliveryStatus, type NotificationInput } from '../durable/contracts';

/** The `event` field of every record, and what the alert queries filter on. */
export const LOG_EVENTS = {
  heartbeat: 'dr.heartbeat',
  monitorRestarted: 'dr.monitor.restarted',
  notification: 'dr.event',
  notificationDropped: 'dr.notification.dropped',
  purged: 'taskhub.purged',
} as const;

export type LogRecord = { event: string } & Record<string, unknown>;

const defaultSink = (line: string): void => console.log(line);
let sink: (line: string) => void = defaultSink;

/**
 * Where records go: the invocation's log, or console.log (the Functions worker forwards it to the host log),
 * unless a test or benchmark installs a sink of its own (then every record goes there).
 */
export function installEventSink(write: ((line: string) => void) | undefined): void {
  sink = write ?? defaultSink;
}

/** Writes a record to the invocation's log when the caller has one (`context.log`), else to the sink. */
export function emitEvent(record: LogRecord, write?: (line: string) => void): void {
  const line = JSON.stringify(record);
  if (write && sink === defaultSink) write(line);
  else sink(line);
}

const TYPE_PREFIX = 'com.logicappsfailover.';

/** Entries that ended blocked, or steps that were: activations held back because their fence failed. */
function blockedActivations(data: Record<string, unknown>): number {
  const results = data.results as { blocked?: unknown; steps?: { status?: string }[] }[] | undefined;
  if (!Array.isArray(results)) return 0;
  return results.reduce(
    (n, r) => n + (r.blocked ? 1 : 0) + (r.steps ?? []).filter((s) => s.status === 'blocked').length,
    0,
  );
}

/**
 * The record of one CloudEvent handed to the outbox: type, outcome and counts; for a drift, the workflow, its
 * region, the rule it breaks and the line that says so.
 */
export function notificationRecord(n: NotificationInput): LogRecord {
  // Read field by field: each event type carries its own data, and only these few fields are logged.
  const d = n.data as unknown as Record<string, unknown>;
  const rto = d.rto as { measuredMs?: number; predictedMs?: number } | undefined;
  const pending = d.pendingFences;
  return {
    event: LOG_EVENTS.notification,
    type: n.type.startsWith(TYPE_PREFIX) ? n.type.slice(TYPE_PREFIX.length) : n.type,
    planId: n.planId,
    correlationId: n.correlationId,
    at: n.time,
    ...(typeof d.outcome === 'string' ? { outcome: d.outcome } : {}),
    ...(typeof d.reason === 'string' ? { reason: d.reason } : {}),
    ...(typeof d.error === 'string' ? { error: d.error.slice(0, 300) } : {}),
    ...(Array.isArray(d.results) ? { blockedActivations: blockedActivations(d) } : {}),
    ...(Array.isArray(pending) ? { pendingFences: pending.length } : {}),
    ...(rto?.measuredMs !== undefined ? { measuredRtoMs: rto.measuredMs } : {}),
    ...(rto?.predictedMs !== undefined ? { predictedRtoMs: rto.predictedMs } : {}),
    ...(n.type === EVENT_TYPES.estateDrifted || n.type === EVENT_TYPES.driftCleared
      ? {
          workflow: String(d.workflow),
          region: String(d.region),
          rule: String(d.rule),
          drift: String(d.message).slice(0, 300),
        }
      : {}),
  };
}

/**
 * One per watchdog tick: the monitor as the watchdog found it. The heartbeat alert fires when these stop or
 * when `lastCycleAt` stops moving; the pending-fence alert reads `pendingFences` and the oldest one: since
 * when it is pending, and which it is.
 */
export function heartbeatRecord(planId: string, status: InstanceInfo | undefined, now: Date): LogRecord {
  const m = status ? monitorOf(status) : undefined;
  const pending = m?.pendingFences.length ?? 0;
  // A fence from a record older than per-fence times has waited since the last failover at least.
  const sinceOf = (f: PendingFence) => f.since ?? m?.state.lastFailoverAt ?? '';
  const oldest = m?.pendingFences.reduce<PendingFence | undefined>(
    (a, f) => (a === undefined || sinceOf(f) < sinceOf(a) ? f : a),
    undefined,
  );
  const since = oldest ? sinceOf(oldest) || undefined : undefined;
  const probe = m?.state.recentProbes.at(-1);
  return {
    event: LOG_EVENTS.heartbeat,
    planId,
    at: now.toISOString(),
    monitor: status?.runtimeStatus ?? 'absent',
    ...(m ? { mode: reportedMode(m.state, now), activeRegion: m.state.activeRegion } : {}),
    ...(m?.lastCycle ? { lastCycleAt: m.lastCycle.at } : {}),
    consecutiveFailures: m?.state.consecutiveFailures ?? 0,
    ...(probe
      ? {
          lastProbeLatencyMs: probe.latencyMs,
          lastProbeOutcome: probe.healthy ? 'healthy' : (probe.failure ?? 'failed'),
        }
      : {}),
    pendingFences: pending,
    ...(since ? { pendingFencesSince: since } : {}),
    ...(oldest ? { oldestPendingFence: oldest.label } : {}),
  };
}

export function droppedRecord(planId: string, s: DeliveryStatus): LogRecord {
  return {
    event: LOG_EVENTS.notificationDropped,
    planId,
    type: s.type.startsWith(TYPE_PREFIX) ? s.type.slice(TYPE_PREFIX.length) : s.type,
    messageId: s.messageId,
    correlationId: s.correlationId,
    queuedAt: s.queuedAt,
    attempts: s.attempts,
    ...(s.lastError ? { lastError: s.lastError.slice(0, 300) } : {}),
  };
}
