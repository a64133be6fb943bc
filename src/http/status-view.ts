/**
 * What `GET /api/status` shows, computed from the monitor's published state: pure, so every field can be
 * tested from a state alone. The monitor's customStatus is the only source of truth for mode and counts.
 */
import {
  actuationQueueHops,
  ARM_WRITE_BURST,
  ARM_WRITE_REFILL_MS,
  DETECTION_QUEUE_HOPS,
  GROUP_READ_BACK_MS,
  QUEUE_POLL_MAX_MS,
} from '../core/actuation';
import { durationMs, formatDuration } from '../core/duration';
import {
  countedFailures,
  reportedMode,
  thresholdInForce,
  withholding,
  type MonitorPolicy,
  type ThresholdInForce,
} from '../core/monitor';
import { movedExtent, type NotMoved } from '../core/operation-record';
import { entryTargets } from '../core/planner';
import {
  DELIVERY_PREFIX,
  OPERATION_PREFIX,
  type DeliveryStatus,
  type MonitorStatus,
  type OperationLiveStatus,
  type OperationRecord,
  type OperationSummary,
} from '../durable/contracts';
import type { Plan } from '../plan/schema';
import type { z } from 'zod';
import { extentOfRecord, isoOf, isRunning, notMovedIn, recordOf, type InstanceInfo } from './history';
import type { StatusResponseSchema } from './schemas';

export type StatusView = z.output<typeof StatusResponseSchema>;

export interface PredictedRto {
  detectionMs: number;
  detection: string;
  actuationMs: number;
  actuation: string;
  totalMs: number;
  automaticFailover: boolean;
}

/**
 * Sequential ARM round trips of one group, at most: the check before it (a read, when a fence was deferred),
 * its steps in order (a fence, then the activation; a recurrence rewrite is a read and a write), the read-back.
 */
export const GROUP_ROUND_TRIPS = 5;
/** Workflows one list read returns (observe.ts LIST_PAGE_SIZE): planning reads a resource group page by page. */
const LIST_PAGE = 100;

/**
 * Worst case from the start of an outage to the failover decision: the failures the policy needs, one probe
 * interval apart, plus the last probe's timeout and the task hub's queue hops to the operation's start; then
 * the actuation: per group the orchestration's own time and its sequential ARM round trips at the ARM latency
 * this instance observed, plus ARM's write throttling and the queue hops of each group.
 */
export function predictRto(
  plan: Plan,
  policy: MonitorPolicy,
  armLatencyMs?: number,
  threshold?: ThresholdInForce,
): PredictedRto {
  const intervalMs = durationMs(plan.policy.probeInterval);
  const timeoutMs = durationMs(plan.healthCheck.timeout);
  // The threshold in force: during the cooldown twice the policy's, as the failures line says.
  const needed = threshold?.needed ?? policy.window?.failures ?? policy.failureThreshold ?? 1;
  const counting = threshold?.cooldownUntil
    ? `in a row (the cooldown doubles ${threshold.base} until ${threshold.cooldownUntil}) `
    : policy.window
      ? `(${policy.window.failures} of the last ${policy.window.of}) `
      : '';
  const detectionHopsMs = DETECTION_QUEUE_HOPS * QUEUE_POLL_MAX_MS;
  const detectionMs = needed * intervalMs + timeoutMs + detectionHopsMs;
  const targets = plan.workflows.flatMap((e) => entryTargets(plan, e)).length;
  const groups = new Set(plan.workflows.map((e) => e.group ?? 0)).size;
  // Planning lists every region's workflows, page after page: the longest list sets its round trips.
  const planningTrips = Math.max(1, Math.ceil(targets / 2 / LIST_PAGE));
  const roundTrips = planningTrips + groups * GROUP_ROUND_TRIPS;
  const latencyMs = armLatencyMs ?? 0;
  const throttleMs = Math.max(0, targets - ARM_WRITE_BURST) * ARM_WRITE_REFILL_MS;
  const actuationHopsMs = actuationQueueHops(groups) * QUEUE_POLL_MAX_MS;
  const actuationMs = groups * GROUP_READ_BACK_MS + roundTrips * latencyMs + throttleMs + actuationHopsMs;
  const hop = formatDuration(QUEUE_POLL_MAX_MS);
  const latency =
    armLatencyMs === undefined
      ? 'ARM latency not counted: this instance has had no ARM answer yet'
      : `${roundTrips} sequential ARM round trips x ${latencyMs} ms (the slowest of the last ARM answers this instance saw)`;
  return {
    detectionMs,
    detection: `${needed} failed probe(s) ${counting}x ${plan.policy.probeInterval} probe interval + ${plan.healthCheck.timeout} probe timeout + ${DETECTION_QUEUE_HOPS} queue hops x ${hop} = ${formatDuration(detectionMs)}`,
    actuationMs,
    actuation: `a bound: ${groups} group(s) x ~1 s of orchestration + ${latency} + ARM write throttling beyond ${ARM_WRITE_BURST} writes (${targets} workflow(s), at most one write each) + ${actuationQueueHops(groups)} queue hops x ${hop} = ${formatDuration(actuationMs)}; it assumes ARM answers as fast as it did lately, and a planned failover may also wait for a split entry's next slot boundary`,
    totalMs: detectionMs + actuationMs,
    automaticFailover: policy.automaticFailover,
  };
}

export interface StatusInputs {
  plan: Plan;
  /** The plan's policy as the watchdog hands it to the monitor (used until the monitor has had a tick). */
  planPolicy: MonitorPolicy;
  monitor: MonitorStatus;
  instanceId: string;
  runtimeStatus: string;
  now: Date;
  /** The running operation's live status, when one runs. */
  current?: { runtimeStatus?: string; customStatus?: unknown };
  /** The last finished operation's audit record, when readable. */
  lastRecord?: OperationRecord;
  /**
   * The newest failover: the monitor's summary of it (when it is the running or the last operation) and its
   * instance (when readable; after a failback it is found in the task hub's instance list).
   */
  lastFailover?: { summary?: OperationSummary; instance?: InstanceInfo };
  /**
   * The outbox's delivery instances queued since `since` (a prefix and created-time query: only these can
   * still be pending); omitted when the query failed.
   */
  deliveries?: { instances: InstanceInfo[]; since?: string; truncated?: boolean };
  /** The slowest recent ARM answer this instance observed (ms), for the predicted RTO; none yet: undefined. */
  armLatencyMs?: number;
  /** The API's auth settings, shown so that an operator sees at once whether a key alone may fail over. */
  auth: { keyIsOperator: boolean; requirePrincipal: boolean; trustPrincipal: boolean };
}

/** The newest failover's summary: from its audit record when readable, else from the monitor's summary. */
export function lastFailoverView(
  planId: string,
  f: StatusInputs['lastFailover'],
): StatusView['lastFailover'] {
  const { summary, instance } = f ?? {};
  if (!summary && !instance) return null;
  const record = instance ? recordOf(instance) : undefined;
  const input = instance?.input as { request?: OperationRecord['request'] } | null | undefined;
  const request = record?.request ?? input?.request;
  const operationId =
    summary?.operationId ??
    record?.operationId ??
    instance!.instanceId.slice(OPERATION_PREFIX(planId).length);
  const running = instance ? isRunning(instance.runtimeStatus) : !summary?.finishedAt;
  const startedAt = summary?.startedAt ?? isoOf(instance!.createdTime);
  const finishedAt =
    summary?.finishedAt ?? (instance && !running ? isoOf(instance.lastUpdatedTime) : undefined);
  const crashed =
    instance && !running && !record && typeof instance.output === 'string' ? instance.output : undefined;
  return {
    operationId,
    trigger: summary?.trigger ?? request?.trigger ?? 'manual',
    ...(request ? { kind: request.kind, by: request.caller.by, reason: request.caller.reason } : {}),
    outcome: running
      ? 'running'
      : (summary?.outcome ?? record?.status ?? instance?.runtimeStatus.toLowerCase() ?? 'unknown'),
    startedAt,
    ...(finishedAt ? { finishedAt } : {}),
    ...(record?.rto.measuredMs !== undefined ? { measuredRtoMs: record.rto.measuredMs } : {}),
    ...(record?.rto.predictedMs !== undefined ? { predictedRtoMs: record.rto.predictedMs } : {}),
    ...(record ? { moved: extentOfRecord(record) } : {}),
    ...overrideOf(request),
    pendingFences: (record?.pendingFences ?? []).map((t) => t.label),
    ...notMovedOfRecord(record),
    ...((record?.error ?? crashed) ? { error: record?.error ?? crashed } : {}),
  };
}

/** The break-glass override an operator asked for, when one was. */
function overrideOf(request: { override?: string[] } | undefined): { override?: string[] } {
  return request?.override?.length ? { override: request.override } : {};
}

/**
 * The entries an operation held, blocked or could not move, with why: status says plainly what did not move.
 * (The fences it left pending have their own field, `pendingFences`.)
 */
function notMovedOfRecord(record: OperationRecord | undefined): { notMoved?: NotMoved[] } {
  const notMoved = record ? notMovedIn(record).filter((n) => n.why !== 'pending-fence') : [];
  return notMoved.length ? { notMoved } : {};
}

/**
 * How much the operation behind the current mode moved (the last failover while the secondary is active, the
 * last failback that moved anything while the primary is): a partial failover is never shown as a whole one.
 * A fence that was pending then and has been applied since is no longer named.
 */
export function movedView(
  i: Pick<StatusInputs, 'monitor' | 'lastRecord' | 'lastFailover' | 'plan'>,
): StatusView['moved'] {
  const m = i.monitor;
  if (m.activeOperation) return null;
  const secondary = m.state.activeRegion === 'secondary';
  const last = m.lastOperation;
  const candidates = [
    i.lastRecord,
    i.lastFailover?.instance ? recordOf(i.lastFailover.instance) : undefined,
  ].filter((r): r is OperationRecord => r !== undefined);
  const record = secondary
    ? candidates.find((r) => r.request.direction === 'failover' && r.status !== 'running')
    : last?.direction === 'failback' && last.outcome !== 'failed'
      ? candidates.find((r) => r.operationId === last.operationId)
      : undefined;
  if (!record) return null;
  const stillPending = new Set(m.pendingFences.map((t) => t.label));
  const notMoved = notMovedIn(record).filter(
    (n) => n.why !== 'pending-fence' || (n.fences ?? []).some((label) => stillPending.has(label)),
  );
  return {
    operationId: record.operationId,
    direction: record.request.direction,
    extent: movedExtent(record.entries, notMoved),
    notMoved,
    ...overrideOf(record.request),
  };
}

/** The mode in words with what qualifies it: `failed-over (partial: 2 of 5 entries did not move)`. */
export function modeDetail(mode: StatusView['mode'], moved: StatusView['moved']): string {
  if (!moved) return mode;
  const kept = moved.notMoved.filter((n) => n.why !== 'pending-fence');
  const fences = moved.notMoved.length - kept.length;
  const fenceWords = fences
    ? `${fences} entr${fences === 1 ? 'y' : 'ies'} not fenced yet in the other region`
    : '';
  const what = moved.direction === 'failover' ? 'failover' : 'failback';
  if (moved.extent === 'none')
    return `${mode} (the ${what} moved nothing: ${kept.map((n) => n.entry).join(', ')} did not move)`;
  if (moved.extent === 'partial')
    return `${mode} (partial: ${kept.map((n) => n.entry).join(', ')} did not move${fenceWords ? `; ${fenceWords}` : ''})`;
  return fenceWords ? `${mode} (${fenceWords})` : mode;
}

/** Keeps the status bounded however long the broker was away: the newest dropped events only. */
const DROPPED_SHOWN = 20;

/** The outbox at a glance: how many events wait for Service Bus, and which ones it gave up on (TTL). */
export function notificationsView(
  planId: string,
  outbox: StatusInputs['deliveries'],
): StatusView['notifications'] {
  if (!outbox) return null;
  const prefix = DELIVERY_PREFIX(planId);
  const states = outbox.instances
    .filter((d) => d.instanceId.startsWith(prefix))
    .map((d) => (d.output ?? d.customStatus) as DeliveryStatus | undefined)
    .filter((d): d is DeliveryStatus => Boolean(d?.state));
  const count = (state: DeliveryStatus['state']) => states.filter((d) => d.state === state).length;
  const dropped = states
    .filter((d) => d.state === 'dropped')
    .sort((a, b) => (a.droppedAt ?? '').localeCompare(b.droppedAt ?? ''))
    .slice(-DROPPED_SHOWN)
    .map((d) => ({
      type: d.type,
      messageId: d.messageId,
      queuedAt: d.queuedAt,
      droppedAt: d.droppedAt ?? '',
      attempts: d.attempts,
      ...(d.lastError ? { lastError: d.lastError } : {}),
    }));
  const oldest = states
    .filter((d) => d.state === 'pending')
    .map((d) => d.queuedAt)
    .sort()[0];
  return {
    pending: count('pending'),
    delivered: count('delivered'),
    droppedCount: count('dropped'),
    ...(oldest ? { oldestPendingSince: oldest } : {}),
    dropped,
    ...(outbox.since ? { since: outbox.since } : {}),
    ...(outbox.truncated ? { truncated: true } : {}),
  };
}

const ALIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

export function statusView(i: StatusInputs): StatusView {
  const { plan, monitor: m } = i;
  const policy = m.policy ?? i.planPolicy;
  const state = m.state;
  const threshold = thresholdInForce(state, policy, i.now);
  const pause = state.pause && Date.parse(state.pause.until) > i.now.getTime() ? state.pause : undefined;
  const last = m.lastOperation;
  const measured = i.lastRecord?.operationId === last?.operationId ? i.lastRecord : undefined;
  const mode = reportedMode(state, i.now);
  const moved = movedView(i);
  return {
    planId: plan.id,
    regions: { primary: plan.primary.location, secondary: plan.secondary.location },
    activeRegion: state.activeRegion,
    activeLocation: state.activeRegion === 'primary' ? plan.primary.location : plan.secondary.location,
    mode,
    ...(mode === 'paused' ? { pausedMode: state.mode } : {}),
    modeDetail: modeDetail(mode, moved),
    moved,
    failures: failuresView(state, policy, threshold),
    recentProbes: state.recentProbes.slice(-20),
    // Every cycle, not only in the one failover.withheld event: what keeps an automatic failover back now.
    withheld: state.activeRegion === 'primary' && !m.activeOperation ? withholding(state, policy, i.now) : [],
    pause: pause ? { until: pause.until, by: pause.by, reason: pause.reason } : null,
    currentOperation: m.activeOperation
      ? {
          ...m.activeOperation,
          ...(i.current?.runtimeStatus ? { runtimeStatus: i.current.runtimeStatus } : {}),
          ...(i.current?.customStatus !== undefined && i.current.customStatus !== null
            ? { live: i.current.customStatus }
            : {}),
          ...waitingOf(i.current?.customStatus),
          ...progressOf(i.current?.customStatus),
          ...(m.stopping?.operationId === m.activeOperation.operationId
            ? {
                stopping: {
                  outcome: m.stopping.outcome,
                  by: m.stopping.caller.by,
                  reason: m.stopping.caller.reason,
                  at: m.stopping.at,
                  ...(m.stopping.supersededBy ? { supersededBy: m.stopping.supersededBy } : {}),
                },
              }
            : {}),
        }
      : null,
    lastOperation: last
      ? {
          ...last,
          ...(measured?.rto.measuredMs !== undefined ? { measuredRtoMs: measured.rto.measuredMs } : {}),
          ...(measured ? { moved: extentOfRecord(measured) } : {}),
          ...overrideOf(measured?.request),
          ...notMovedOfRecord(measured),
          ...(measured?.error ? { error: measured.error } : {}),
        }
      : null,
    lastFailover: lastFailoverView(plan.id, i.lastFailover),
    lastFailoverAt: state.lastFailoverAt ?? null,
    lastFailbackAt: state.lastFailbackAt ?? null,
    predictedRto: predictRto(plan, policy, i.armLatencyMs, threshold),
    // With those the running operation released: applied each probe cycle while it still runs.
    pendingFences: [...m.pendingFences, ...(m.operationFences?.pending ?? [])].map((t) => t.label),
    pendingSwitches: (m.pendingSwitches ?? []).map((s) => `${s.router.label} -> ${s.target.label}`),
    drift: (m.drift ?? []).map((d) => d.message),
    notifications: notificationsView(plan.id, i.deliveries),
    auth: {
      keyIsOperator: i.auth.keyIsOperator,
      requirePrincipal: i.auth.requirePrincipal,
      principalTrusted: i.auth.trustPrincipal,
    },
    monitor: {
      instanceId: i.instanceId,
      runtimeStatus: i.runtimeStatus,
      updatedAt: m.updatedAt,
      ...(m.lastTickAt ? { lastTickAt: m.lastTickAt } : {}),
      ...(m.lastCycle
        ? { lastCycle: withWait(m.lastCycle, m.activeOperation, i.current?.customStatus) }
        : {}),
      probes: state.probes,
      executions: m.executions,
      ...(ALIVE.has(i.runtimeStatus)
        ? {}
        : {
            warning: `the monitor is ${i.runtimeStatus}: this is its last published state; the watchdog restarts it on its next tick`,
          }),
    },
  };
}

/**
 * Failures against the threshold in force, in one sentence: during the cooldown the doubled one (and why, until
 * when); while the secondary is active the count is the primary's health, not a countdown to a failover.
 */
function failuresView(
  state: StatusInputs['monitor']['state'],
  policy: MonitorPolicy,
  threshold: ThresholdInForce,
): StatusView['failures'] {
  const { needed, base, cooldownUntil } = threshold;
  const counted = cooldownUntil ? state.consecutiveFailures : countedFailures(state, policy);
  const n = state.consecutiveFailures;
  const rule =
    state.activeRegion === 'secondary'
      ? `${n ? `the primary failed its last ${n} probe(s) in a row` : 'no failed probe in a row'}; the secondary is active, so none counts toward a failover`
      : cooldownUntil
        ? `${n} of ${needed} consecutive failed probes (the cooldown after the last failover doubles ${policy.window ? `${base} of the last ${policy.window.of}` : base} until ${cooldownUntil})`
        : policy.window
          ? `${counted} of the last ${policy.window.of} probes failed; ${policy.window.failures} trigger a failover`
          : `${n} of ${needed} consecutive failed probes`;
  return {
    counted,
    needed,
    consecutive: n,
    rule,
    ...(policy.window ? { window: policy.window } : {}),
    ...(cooldownUntil ? { cooldownUntil, policyNeeded: base } : {}),
  };
}

/** Timeline events of a running operation that status shows (the newest); dr operation --json has them all. */
export const PROGRESS_EVENTS = 5;

/**
 * A running operation's progress from its live status: the newest timeline events, the entries done, the
 * fences its finished groups released (the monitor applies them), the sub-orchestrations of the group running.
 */
export function progressOf(live: unknown): { progress?: OperationProgress } {
  const l = live as Partial<OperationLiveStatus> | null | undefined;
  if (!l || typeof l !== 'object' || !Array.isArray(l.timeline)) return {};
  return {
    progress: {
      entriesDone: typeof l.entriesDone === 'number' ? l.entriesDone : 0,
      events: l.timeline.length,
      lastEvents: l.timeline.slice(-PROGRESS_EVENTS),
      released: (l.released ?? []).map((t) => t.label),
      working: (l.working ?? []).length,
    },
  };
}

export interface OperationProgress {
  entriesDone: number;
  /** How many events its timeline has (the last few are in lastEvents). */
  events: number;
  lastEvents: { at: string; event: string }[];
  /** Fences left pending by its finished groups, released to the monitor. */
  released: string[];
  /** Sub-orchestrations of the group running now. */
  working: number;
}

/** A running operation's wait for a split slot, from its live status ("waiting for the split slot at HH:MM:SS"). */
export function waitingOf(live: unknown): { waiting?: string; waitingUntil?: string } {
  const w = (live as { waiting?: { says?: unknown; until?: unknown } } | null | undefined)?.waiting;
  return typeof w?.says === 'string' && typeof w.until === 'string'
    ? { waiting: w.says, waitingUntil: w.until }
    : {};
}

/** The monitor's last cycle, and what the running operation waits for (the monitor itself cannot see it). */
function withWait(
  lastCycle: { at: string; reason: string },
  active: { direction: string; operationId: string } | undefined,
  live: unknown,
): { at: string; reason: string } {
  const { waiting } = waitingOf(live);
  return active && waiting
    ? {
        ...lastCycle,
        reason: `${lastCycle.reason}; the ${active.direction} ${active.operationId} is ${waiting}`,
      }
    : lastCycle;
}
