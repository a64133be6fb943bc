/**
 * The durable contracts: names of orchestrations, activities and events, instance ids, and the shapes that
 * cross between the watchdog, the monitor, the operations and the HTTP API. No magic strings elsewhere.
 */
import { stableHash } from '../core/hash';
import type { FailureEvidence, MonitorPolicy, MonitorState, ProbeResult } from '../core/monitor';
import type { Direction, OperationPlan, PlannedAction, WorkflowTarget } from '../core/planner';

export const ORCHESTRATIONS = {
  monitor: 'drMonitor',
  operation: 'drOperation',
  entry: 'drApplyEntry',
  batch: 'drApplyBatch',
  deliver: 'drDeliverNotification',
} as const;

export const ACTIVITIES = {
  probe: 'drProbeHealth',
  planOperation: 'drPlanOperation',
  applyAction: 'drApplyAction',
  applyActions: 'drApplyActions',
  readBack: 'drReadBack',
  applyPendingFences: 'drApplyPendingFences',
  sendNotification: 'drSendNotification',
  startOperation: 'drStartOperation',
  signalMonitor: 'drSignalMonitor',
  queueNotifications: 'drQueueNotifications',
  reportDroppedNotification: 'drReportDroppedNotification',
  operationStatus: 'drOperationStatus',
  checkGroup: 'drCheckGroup',
} as const;

/** The monitor waits for exactly one event name: every input to it is a Signal. */
export const MONITOR_SIGNAL = 'signal';

export const monitorInstanceId = (planId: string): string => `dr-monitor-${planId}`;
export const operationInstanceId = (planId: string, operationId: string): string =>
  `dr-op-${planId}-${operationId}`;
export const OPERATION_PREFIX = (planId: string): string => `dr-op-${planId}-`;
/** One delivery orchestration per message id: starting it twice finds the first (the hand-off is idempotent). */
export const DELIVERY_PREFIX = (planId: string): string => `dr-n-${planId}-`;
export const deliveryInstanceId = (planId: string, messageId: string): string =>
  `${DELIVERY_PREFIX(planId)}${stableHash(messageId)}`;

/** Service Bus refuses message ids over 128 characters. */
export const MAX_MESSAGE_ID_LENGTH = 128;

/**
 * A message id from its parts (operation or plan id, step, request id) that always fits: parts that make it
 * too long are replaced by a hash of the whole, keeping a readable prefix. Deterministic, so a re-sent event
 * keeps its id and duplicate detection drops it.
 */
export function messageIdOf(...parts: string[]): string {
  const id = parts.join(':');
  if (id.length <= MAX_MESSAGE_ID_LENGTH) return id;
  const hash = stableHash(id);
  return `${id.slice(0, MAX_MESSAGE_ID_LENGTH - hash.length - 1)}~${hash}`;
}

export interface Caller {
  /** Who asked: a principal name from App Service Authentication, or `function-key`, or `automatic`. */
  by: string;
  reason: string;
}

export interface OperationRequest {
  direction: Direction;
  kind: 'planned' | 'emergency';
  trigger: 'automatic' | 'manual';
  caller: Caller;
  /** Break-glass: safety rules the operator explicitly allows to be broken (recorded and notified). */
  override: string[];
  /** Failback only: skip the soak-time gate. */
  force?: boolean;
}

export type Signal =
  | { kind: 'tick'; id: string; at: string; policy: MonitorPolicy; probeIntervalMs: number }
  | { kind: 'pause'; id: string; until: string; caller: Caller; fingerprint?: string }
  | { kind: 'resume'; id: string; caller: Caller; fingerprint?: string }
  | { kind: 'request-operation'; id: string; request: OperationRequest; fingerprint?: string }
  | {
      kind: 'operation-finished';
      id: string;
      operationId: string;
      direction: Direction;
      outcome: OperationOutcome;
      pendingFences: WorkflowTarget[];
    };

export type OperationOutcome = 'succeeded' | 'completed-with-errors' | 'failed';

/**
 * An operation instance as the monitor's reconciliation sees it: still running (or unknown), or over, with the
 * same outcome and pending fences its `operation-finished` signal carries.
 */
export type OperationProgress =
  | { finished: false; runtimeStatus?: string }
  | {
      finished: true;
      runtimeStatus: string;
      outcome: OperationOutcome;
      pendingFences: WorkflowTarget[];
    };

/** What the monitor answered to a request signal, kept so the HTTP API can read it (and replay it for retries). */
export type RequestAnswer = (
  | { id: string; status: 'accepted'; operationId: string }
  | { id: string; status: 'conflict'; operationId: string; reason: string }
  | { id: string; status: 'refused'; reason: string }
  | { id: string; status: 'applied' }
) & {
  /** The request's fingerprint (route and body), so a key reused for another request is refused, not replayed. */
  fingerprint?: string;
};

export interface OperationSummary {
  operationId: string;
  direction: Direction;
  trigger: 'automatic' | 'manual';
  startedAt: string;
  finishedAt?: string;
  outcome?: OperationOutcome;
}

export interface MonitorInput {
  planId: string;
  state: MonitorState;
  policy?: MonitorPolicy;
  probeIntervalMs?: number;
  /** Last probe cycle (index of probeInterval since the epoch): one probe per cycle, however many ticks come. */
  lastProbeCycle?: number;
  lastTickAt?: string;
  /** The last probe cycle's conclusion, in words (from the decision core). */
  lastCycle?: { at: string; reason: string };
  activeOperation?: OperationSummary;
  lastOperation?: OperationSummary;
  pendingFences: WorkflowTarget[];
  /** Answers to the last requests, newest last (idempotency across retries and continueAsNew). */
  answers: RequestAnswer[];
  operationSeq: number;
  executions: number;
}

/**
 * What the monitor publishes with setCustomStatus. Readers take the full state from the execution's input
 * (see monitorOf); the published copy is trimmed to fit the 16 KB limit, and says what it left out.
 */
export interface MonitorStatus extends MonitorInput {
  updatedAt: string;
  /** How many of the oldest entries the published copy left out to fit; the input has them all. */
  omitted?: { answers: number; recentProbes: number; pendingFences: number };
}

/** Durable Functions fails an orchestration whose JSON custom status exceeds 16 KB of UTF-16 text. */
export const CUSTOM_STATUS_LIMIT_BYTES = 16 * 1024;
/** Headroom under the limit, so a status that fits today is not refused for a longer timestamp tomorrow. */
const STATUS_BUDGET_BYTES = CUSTOM_STATUS_LIMIT_BYTES - 1024;

/** JSON text as UTF-16 bytes: JS string length counts UTF-16 code units. */
export const utf16Bytes = (value: unknown): number => JSON.stringify(value).length * 2;

/**
 * The published copy within budget: drops the oldest kept answers first (a retry older than that is decided
 * again), then old probes, then pending fences beyond the first, each counted in `omitted`.
 */
export function fitMonitorStatus(status: MonitorStatus, budgetBytes = STATUS_BUDGET_BYTES): MonitorStatus {
  if (utf16Bytes(status) <= budgetBytes) return status;
  const answers = [...status.answers];
  const recentProbes = [...status.state.recentProbes];
  const pendingFences = [...status.pendingFences];
  const omitted = { answers: 0, recentProbes: 0, pendingFences: 0 };
  // Serialised once, then each dropped entry is subtracted (with its comma): this runs on every publish, and a
  // long outage can leave a thousand pending fences. `omitted` is measured at its widest, so the result fits.
  const widest = { answers: 1e6, recentProbes: 1e6, pendingFences: 1e6 };
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
  shed(pendingFences, 0, () => pendingFences.pop()!, 'pendingFences');
  return { ...status, answers, state: { ...status.state, recentProbes }, pendingFences, omitted };
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

export interface OperationInput {
  planId: string;
  operationId: string;
  request: OperationRequest;
  evidence?: FailureEvidence;
  policy?: MonitorPolicy;
  probeIntervalMs?: number;
  requestedAt: string;
}

export type StepStatus = 'done' | 'noop' | 'pending-fence' | 'missing' | 'failed' | 'blocked';

export interface StepResult {
  action: PlannedAction;
  status: StepStatus;
  at: string;
  error?: string;
}

export interface EntryResult {
  entry: string;
  group: number;
  steps: StepResult[];
  blocked?: string;
  overrideUsed?: string;
}

export interface ReadBackReport {
  group: number;
  at: string;
  /** Targets whose state read back differs from what their last step wanted. */
  mismatches: string[];
  /** Safety rule violations over the whole estate after this group. */
  violations: { entry: string; rule: string; message: string }[];
  unreadable: string[];
}

/** The safety check just before a group runs (see src/core/preflight.ts). */
export interface GroupCheck {
  group: number;
  at: string;
  /**
   * `live`: deferred fences' targets read from ARM just now; `plan`: nothing worth reading (the first group,
   * no deferred fence, or their region was silent within the last probe interval): the planning reads stand.
   */
  source: 'live' | 'plan';
  /** Targets read for this check. */
  read: string[];
  /** Deferred targets whose state is still unknown (their region does not answer). */
  unreadable: string[];
  /** `no-dual-active` violations the entries' own steps would leave: those entries are blocked unless overridden. */
  violations: { entry: string; rule: string; message: string }[];
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

/**
 * A notification as an operation's audit record keeps it: handed to its delivery orchestration (the outbox),
 * never waited on. Whether and when it was delivered is that instance's status (the operation view reads it).
 */
export interface NotificationRecord {
  type: string;
  messageId: string;
  /** The delivery orchestration's instance id, once queued. */
  deliveryId?: string;
  queued: boolean;
  /** Why nothing was queued on purpose (the plan configures no notifications). */
  skipped?: string;
  /** One line: why it could not be handed off (the durable store refused). */
  error?: string;
}

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
  type: string;
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

/** The audit record of a failover or failback: the operation orchestration's output. */
export interface OperationRecord {
  operationId: string;
  planId: string;
  request: OperationRequest;
  status: 'running' | OperationOutcome;
  timeline: { at: string; event: string }[];
  evidence?: FailureEvidence;
  policy?: MonitorPolicy;
  plan?: OperationPlan;
  entries: EntryResult[];
  /** One safety check per group, taken just before it ran. */
  checks: GroupCheck[];
  readBack: ReadBackReport[];
  pendingFences: WorkflowTarget[];
  notifications: NotificationRecord[];
  rto: {
    /** The first failed probe of the evidence, or (no failed probe: a planned operation, a failback) the request. */
    from?: string;
    basis?: 'first-failed-probe' | 'request';
    /** The last group's read-back. */
    to?: string;
    measuredMs?: number;
    /** Detection (automatic failovers only) plus the actuation predicted from the plan. */
    predictedMs?: number;
    predictedDetectionMs?: number;
    predictedActuationMs?: number;
  };
  error?: string;
}

export interface ProbeActivityResult extends ProbeResult {
  dependencies?: { name: string; result: ProbeResult }[];
}

/** CloudEvent types this control plane emits. */
export const EVENT_TYPES = {
  healthDegraded: 'com.logicappsfailover.health.degraded',
  healthRecovered: 'com.logicappsfailover.health.recovered',
  failoverWithheld: 'com.logicappsfailover.failover.withheld',
  failoverStarted: 'com.logicappsfailover.failover.started',
  failoverCompleted: 'com.logicappsfailover.failover.completed',
  failoverFailed: 'com.logicappsfailover.failover.failed',
  failbackStarted: 'com.logicappsfailover.failback.started',
  failbackCompleted: 'com.logicappsfailover.failback.completed',
  failbackFailed: 'com.logicappsfailover.failback.failed',
  fenceApplied: 'com.logicappsfailover.fence.applied',
  primaryRecovered: 'com.logicappsfailover.primary.recovered',
  overrideAccepted: 'com.logicappsfailover.override.accepted',
  /** An entry held (nothing of it changed) or an activation blocked: sent the moment it happens. */
  activationBlocked: 'com.logicappsfailover.activation.blocked',
  paused: 'com.logicappsfailover.monitor.paused',
  resumed: 'com.logicappsfailover.monitor.resumed',
} as const;

export interface NotificationInput {
  type: string;
  planId: string;
  /** Operation id (or monitor cycle id): becomes correlationId. */
  correlationId: string;
  /** Deterministic: operation id + step, so a retried send is dropped by duplicate detection. */
  messageId: string;
  time: string;
  data: Record<string, unknown>;
}
