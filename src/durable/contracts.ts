/**
 * The durable contracts: names of orchestrations, activities and events, instance ids, and the shapes that
 * cross between the watchdog, the monitor, the operations and the HTTP API. No magic strings elsewhere.
 */
import type { SplitSlotWait } from '../core/actuation';
import { stableHash } from '../core/hash';
import type { KnownFailing as KnownFailingInput, MonitorRecord, Signal } from '../core/monitor-record';
import type { Notification, EventType, RegionPlaces } from '../core/notifications';
import type { EntryResult, ReadBackReport } from '../core/operation-record';
import type { Direction, EntryPlan, OperationPlan, RegionName, WorkflowTarget } from '../core/planner';
import type { TraceCarrier } from '../core/operation-telemetry';

// The shapes the monitor's step and the operation's record builder work on live in the core (pure data);
// the durable edges use them under these names.
export type {
  Caller,
  KnownFailing,
  OperationStop,
  OperationInput,
  OperationOutcome,
  OperationProgress,
  OperationRequest,
  OperationSummary,
  ProbeActivityResult,
  RequestAnswer,
  RequestRecord,
  Signal,
} from '../core/monitor-record';
export type {
  EntryResult,
  GroupCheck,
  NotificationRecord,
  OperationRecord,
  ReadBackReport,
  StepResult,
  StepStatus,
} from '../core/operation-record';
export type { OperationTelemetry, TraceCarrier } from '../core/operation-telemetry';
export { EVENT_TYPES, MAX_MESSAGE_ID_LENGTH, messageIdOf } from '../core/notifications';
export type { EventType, Notification, NotificationData } from '../core/notifications';

/** The monitor's persisted record: each execution's input, and (fitted) its custom status. */
export type MonitorInput = MonitorRecord;
/** One event on its way to the outbox. */
export type NotificationInput = Notification;

export const ORCHESTRATIONS = {
  monitor: 'drMonitor',
  operation: 'drOperation',
  entry: 'drApplyEntry',
  batch: 'drApplyBatch',
  deliver: 'drDeliverNotification',
  request: 'drRequestRecord',
  courier: 'drRequestCourier',
} as const;

export const ACTIVITIES = {
  probe: 'drProbeHealth',
  planOperation: 'drPlanOperation',
  applyAction: 'drApplyAction',
  applyActions: 'drApplyActions',
  readBack: 'drReadBack',
  applyPendingFences: 'drApplyPendingFences',
  applyPendingSwitches: 'drApplyPendingSwitches',
  sendNotification: 'drSendNotification',
  startOperation: 'drStartOperation',
  signalMonitor: 'drSignalMonitor',
  queueNotifications: 'drQueueNotifications',
  reportDroppedNotification: 'drReportDroppedNotification',
  operationStatus: 'drOperationStatus',
  checkGroup: 'drCheckGroup',
  cancelOperation: 'drCancelOperation',
  checkDrift: 'drCheckDrift',
  recordOperation: 'drRecordOperation',
  deliverRequest: 'drDeliverRequest',
  listRunsInFlight: 'drListRunsInFlight',
  recordRequests: 'drRecordRequests',
} as const;

/**
 * The field of an activity input that carries its span context (a TraceCarrier): the activity registration
 * takes it off before the activity sees its input, and runs the activity as a span under it.
 */
export const TRACE_FIELD = 'traceContext';

/** The monitor waits for exactly one event name: every input to it is a Signal. */
export const MONITOR_SIGNAL = 'signal';
/** An operation and its entries stop at their next step boundary on this event (its data: an OperationStop). */
export const OPERATION_STOP = 'stop';

export const monitorInstanceId = (planId: string): string => `dr-monitor-${planId}`;
export const operationInstanceId = (planId: string, operationId: string): string =>
  `dr-op-${planId}-${operationId}`;
export const OPERATION_PREFIX = (planId: string): string => `dr-op-${planId}-`;
/** One delivery orchestration per message id: starting it twice finds the first (the hand-off is idempotent). */
/** One audit record per operator request (pause, resume, failover or failback asked for): kept like operations. */
export const REQUEST_PREFIX = (planId: string): string => `dr-req-${planId}-`;
export const requestInstanceId = (planId: string, requestId: string): string =>
  `${REQUEST_PREFIX(planId)}${stableHash(requestId)}`;
export const DELIVERY_PREFIX = (planId: string): string => `dr-n-${planId}-`;
export const deliveryInstanceId = (planId: string, messageId: string): string =>
  `${DELIVERY_PREFIX(planId)}${stableHash(messageId)}`;

/** One courier per queued request id: queueing the same request twice finds the first courier. */
export const COURIER_PREFIX = (planId: string): string => `dr-rq-${planId}-`;
export const courierInstanceId = (planId: string, requestId: string): string =>
  `${COURIER_PREFIX(planId)}${stableHash(requestId)}`;

/** A request signal: what an operator asks of the monitor over HTTP (answered by id, kept in `answers`). */
export type RequestSignal = Extract<
  Signal,
  { kind: 'pause' | 'resume' | 'request-operation' | 'cancel-operation' }
>;

/** A courier's input: the request the monitor has not answered yet, since when, and how long to keep trying. */
export interface CourierInput {
  planId: string;
  signal: RequestSignal;
  queuedAt: string;
  ttlMs: number;
  /** Raises made by earlier executions (the courier continues as new every so many). */
  attempts: number;
}

/** A courier's published status and output. */
export interface CourierStatus {
  state: 'queued' | 'answered' | 'expired';
  requestId: string;
  queuedAt: string;
  attempts: number;
  lastError?: string;
  nextAttemptAt?: string;
  answeredAt?: string;
  expiredAt?: string;
}

/**
 * What the monitor publishes with setCustomStatus. Readers take the full state from the execution's input
 * (see monitorOf); the published copy is trimmed to fit the 16 KB limit, and says what it left out.
 */
export interface MonitorStatus extends MonitorInput {
  updatedAt: string;
  /** How many of the oldest entries the published copy left out to fit; the input has them all. */
  omitted?: { answers: number; recentProbes: number; pendingFences: number; drift?: number };
}

/**
 * What a running operation publishes (its custom status): its progress for the status API, and what the
 * monitor may act on before it ends (see the operationStatus activity).
 */
export interface OperationLiveStatus {
  operationId: string;
  status: string;
  timeline: { at: string; event: string }[];
  entriesDone: number;
  /** A group whose split entries wait for their slot boundary (said until the group is done). */
  waiting?: SplitSlotWait;
  /** Fences left pending by the entries of groups already done: the operation writes nothing of them again. */
  released: WorkflowTarget[];
  /** The instance ids of the group running now: the fences of an entry whose instance is over are released too. */
  working: string[];
}

/** What of its released fences and running instances an operation publishes, at most (UTF-16 bytes). */
export const RELEASED_BUDGET_BYTES = 6 * 1024;

/**
 * The released fences and running instances that fit the budget, oldest first: a large plan's would push the
 * operation's custom status past Durable's 16 KB and fail it. What does not fit waits for the operation's end,
 * as every pending fence did before.
 */
export function fitReleased(
  released: readonly WorkflowTarget[],
  working: readonly string[],
  budgetBytes = RELEASED_BUDGET_BYTES,
): { released: WorkflowTarget[]; working: string[] } {
  let left = budgetBytes;
  const take = <T>(items: readonly T[]): T[] => {
    const out: T[] = [];
    for (const item of items) {
      const bytes = utf16Bytes(item) + 2;
      if (bytes > left) break;
      left -= bytes;
      out.push(item);
    }
    return out;
  };
  return { released: take(released), working: take(working) };
}

/** Durable Functions fails an orchestration whose JSON custom status exceeds 16 KB of UTF-16 text. */
export const CUSTOM_STATUS_LIMIT_BYTES = 16 * 1024;
/** Headroom under the limit, so a status that fits today is not refused for a longer timestamp tomorrow. */
const STATUS_BUDGET_BYTES = CUSTOM_STATUS_LIMIT_BYTES - 1024;

/** JSON text as UTF-16 bytes: JS string length counts UTF-16 code units. */
export const utf16Bytes = (value: unknown): number => JSON.stringify(value).length * 2;

/**
 * The published copy within budget: drops the oldest kept answers first (a retry older than that is decided
 * again), then old probes, then drifts beyond the first, then pending fences, each counted in `omitted`.
 */
export function fitMonitorStatus(status: MonitorStatus, budgetBytes = STATUS_BUDGET_BYTES): MonitorStatus {
  if (utf16Bytes(status) <= budgetBytes) return status;
  const answers = [...status.answers];
  const recentProbes = [...status.state.recentProbes];
  const pendingFences = [...status.pendingFences];
  const drift = [...(status.drift ?? [])];
  const omitted = { answers: 0, recentProbes: 0, pendingFences: 0, drift: 0 };
  // Serialised once, then each dropped entry is subtracted (with its comma): this runs on every publish, and a
  // long outage can leave a thousand pending fences. `omitted` is measured at its widest, so the result fits.
  const widest = { answers: 1e6, recentProbes: 1e6, pendingFences: 1e6, drift: 1e6 };
  let bytes = utf16Bytes({ ...status, omitted: widest });
  const shed = <T>(items: T[], keep: number, take: () => T, counter: keyof typeof omitted) => {
    while (bytes > budgetBytes && items.length > keep) {
      const item = take();
      bytes -= utf16Bytes(item) + (items.length > 0 ? 2 : 0);
      omitted[counter]++;
    }
  };
  shed(answers, 1, () => answers.shift()!, 'answers');
  shed(recentProbes, 1, () => recentProbes.shift()!, 'recentProbes');
  shed(drift, 1, () => drift.pop()!, 'drift');
  shed(pendingFences, 0, () => pendingFences.pop()!, 'pendingFences');
  // A drift is counted only when there was one to shed (the record had none: nothing to say).
  const { drift: shedDrift, ...counts } = omitted;
  return {
    ...status,
    answers,
    state: { ...status.state, recentProbes },
    pendingFences,
    ...(status.drift ? { drift } : {}),
    omitted: shedDrift ? { ...counts, drift: shedDrift } : counts,
  };
}

/** The monitor's full state from its instance: the current execution's input, else the published status. */
export function monitorOf(info: {
  input?: unknown;
  customStatus?: unknown;
  lastUpdatedTime?: Date | string;
}): MonitorStatus | undefined {
  const input = info.input as MonitorInput | null | undefined;
  const published = info.customStatus as MonitorStatus | null | undefined;
  if (input && typeof input === 'object' && input.state && Array.isArray(input.answers)) {
    const at = info.lastUpdatedTime;
    const updatedAt =
      published?.updatedAt ?? (at instanceof Date ? at.toISOString() : (at ?? new Date(0).toISOString()));
    return { ...input, updatedAt };
  }
  return published && typeof published === 'object' && published.state ? published : undefined;
}

/** One plan entry of an operation, as its sub-orchestration gets it. */
export interface EntryInput {
  operationId: string;
  group: number;
  entry: EntryPlan;
  override: string[];
  direction: Direction;
  /** The check before the group found that this entry, once its steps are done, would run in both regions. */
  unsafe?: string;
  /** For the `activation.blocked` notice this entry sends the moment it is held or blocked. */
  planId?: string;
  /** The plan's regions, so that notice names them. */
  regions?: RegionPlaces;
  /** How long fences against a region answering with errors are retried before what they protect is blocked. */
  fenceBudgetMs?: number;
  /** Regions whose fences already ran out of budget in this operation: their fences are tried once. */
  failingRegions?: RegionName[];
  /** Regions whose fences the operation this one superseded found failing: their fences are not tried. */
  knownFailing?: KnownFailingInput;
  /** The group's span in the operation's trace: the entry's activities run as its children. */
  traceContext?: TraceCarrier;
}

/** The input of the batch sub-orchestration: a group's batchable entries. */
export interface BatchInput {
  operationId: string;
  inputs: EntryInput[];
  traceContext?: TraceCarrier;
}

/** Every sub-orchestration an orchestrator calls: its input and its output (typed calls in activity-calls.ts). */
export interface SubOrchestrations {
  entry: { input: EntryInput; output: EntryResult };
  batch: { input: BatchInput; output: EntryResult[] };
}

/** What planning hands the operation: the plan, and the estate as it was read (group -1 of the read-backs). */
export interface PlannedOperation {
  plan: OperationPlan;
  before: ReadBackReport;
  /** How long fences against a region answering with errors are retried per group (DR_FENCE_BUDGET). */
  fenceBudgetMs?: number;
}

/** One ARM action's final result, as an entry records it. */
export type ApplyActionResult = { ok: true; changed: boolean } | { ok: false; error: string };
/**
 * One action as applied once: `transient` failures are for the orchestration to try again after a pause,
 * at least `retryAfterMs` when ARM said (Retry-After).
 */
export type BatchActionResult =
  ApplyActionResult | { ok: false; error: string; transient: true; retryAfterMs?: number };

/** A delivery orchestration's input: the event, when it was queued, and how long it may keep trying. */
export interface DeliveryInput {
  notification: NotificationInput;
  queuedAt: string;
  ttlMs: number;
  /** Attempts made by earlier executions (the orchestration continues as new every so many attempts). */
  attempts: number;
}

/** A delivery's published status and output: the status page counts pending and lists dropped ones. */
export interface DeliveryStatus {
  state: 'pending' | 'delivered' | 'dropped' | 'skipped';
  type: EventType;
  messageId: string;
  correlationId: string;
  queuedAt: string;
  attempts: number;
  /** One line, no stack. */
  lastError?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  droppedAt?: string;
}
