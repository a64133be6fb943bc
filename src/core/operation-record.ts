/**
 * An operation's audit record as pure data and pure builders: the record it starts with, its outcome, its RTO
 * (measured and predicted) and the notices it sends. The operation orchestrator only runs the activities and
 * sub-orchestrations and hands their results to these functions.
 */
import { DETECTION_QUEUE_HOPS, QUEUE_POLL_MAX_MS, predictActuation } from './actuation';
import { failbackMovedNothing, fencesLeftPending, switchesLeftPending } from './entry-gate';
import type { FailureEvidence, MonitorPolicy } from './monitor';
import type { OperationInput, OperationOutcome, OperationRequest } from './monitor-record';
import {
  EVENT_TYPES,
  notificationOf,
  type EventType,
  type Notification,
  type NotificationData,
  type OperationFacts,
} from './notifications';
import type { OperationPlan, PendingSwitch, WorkflowTarget } from './planner';
import type { EntryResult, GroupCheck, OperationRto, ReadBackReport } from './operation-record-types';

export type {
  EntryResult,
  GroupCheck,
  OperationRto,
  ReadBackReport,
  StepResult,
  StepStatus,
} from './operation-record-types';

/**
 * A notification as an operation's audit record keeps it: handed to its delivery orchestration (the outbox),
 * never waited on. Whether and when it was delivered is that instance's status (the operation view reads it).
 */
export interface NotificationRecord {
  type: EventType;
  messageId: string;
  /** The delivery orchestration's instance id, once queued. */
  deliveryId?: string;
  queued: boolean;
  /** Why nothing was queued on purpose (the plan configures no notifications). */
  skipped?: string;
  /** One line: why it could not be handed off (the durable store refused). */
  error?: string;
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
  /** Switches whose router's ARM did not answer, for the monitor to make (absent in records before them). */
  pendingSwitches?: PendingSwitch[];
  notifications: NotificationRecord[];
  rto: OperationRto;
  error?: string;
}

/** The probe interval an operation assumes when its input does not say (an operation started by hand). */
export const DEFAULT_PROBE_INTERVAL_MS = 30_000;

/**
 * Predicted RTO: for an automatic failover, the worst-case detection (the failures the policy needs, one probe
 * interval apart, plus the queue hops that carry them) plus the actuation; for anything an operator asked for, or a failback, the actuation alone
 * (measured from the request). The actuation comes from the plan: ARM's write bucket, one read-back per group,
 * and the slot boundaries split entries wait for.
 */
export function predictedRto(
  input: OperationInput,
  plan: OperationPlan,
  start: Date,
): { predictedMs: number; predictedDetectionMs?: number; predictedActuationMs: number } {
  const { actuationMs } = predictActuation(plan, start);
  const p = input.policy;
  if (!p || input.request.trigger !== 'automatic' || input.request.direction !== 'failover')
    return { predictedMs: actuationMs, predictedActuationMs: actuationMs };
  const failures = p.window?.failures ?? p.failureThreshold ?? 1;
  // Each failed probe is one cycle apart; the signals that carry detection wait, at worst, one idle-queue poll
  // per hop (host.json maxQueuePollingInterval), as the status page's prediction says too.
  const detectionMs =
    failures * (input.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS) +
    DETECTION_QUEUE_HOPS * QUEUE_POLL_MAX_MS;
  return {
    predictedMs: detectionMs + actuationMs,
    predictedDetectionMs: detectionMs,
    predictedActuationMs: actuationMs,
  };
}

/** Where the measured RTO starts: the first failed probe of the evidence, else the request. */
export function rtoStart(input: OperationInput): Pick<OperationRecord['rto'], 'from' | 'basis'> {
  const failed = input.evidence?.firstFailureAt;
  return failed
    ? { from: failed, basis: 'first-failed-probe' }
    : { from: input.requestedAt, basis: 'request' };
}

/** The record an operation starts with: nothing done yet, the RTO's start known. */
export function openOperationRecord(input: OperationInput): OperationRecord {
  return {
    operationId: input.operationId,
    planId: input.planId,
    request: input.request,
    status: 'running',
    timeline: [],
    ...(input.evidence ? { evidence: input.evidence } : {}),
    ...(input.policy ? { policy: input.policy } : {}),
    entries: [],
    checks: [],
    readBack: [],
    pendingFences: [],
    notifications: [],
    rto: rtoStart(input),
  };
}

/** One of the operation's notices: the operation's facts, then the event's own data. */
export function operationNotice<K extends EventType>(
  input: OperationInput,
  type: K,
  step: string,
  data: Omit<NotificationData[K], keyof OperationFacts>,
  now: Date,
): Notification {
  const { request } = input;
  const facts: OperationFacts = {
    operationId: input.operationId,
    direction: request.direction,
    kind: request.kind,
    trigger: request.trigger,
    caller: request.caller,
    override: request.override,
  };
  return notificationOf(
    type,
    {
      planId: input.planId,
      correlationId: input.operationId,
      idParts: [input.operationId, step],
      now,
    },
    { ...facts, ...data } as NotificationData[K],
  );
}

const failover = (input: OperationInput) => input.request.direction === 'failover';

/** The operation could not even plan: it fails, and says why. */
export function failedToPlan(
  record: OperationRecord,
  input: OperationInput,
  error: string,
  now: Date,
): { record: OperationRecord; notices: Notification[] } {
  const message = `could not read the estate to plan the ${input.request.direction}: ${error}`;
  return {
    record: { ...record, status: 'failed', error: message },
    notices: [
      operationNotice(
        input,
        failover(input) ? EVENT_TYPES.failoverFailed : EVENT_TYPES.failbackFailed,
        'failed',
        { error: message, evidence: input.evidence },
        now,
      ),
    ],
  };
}

/** The "started" notice: the planned actions, and why the operation runs. */
export function startedNotice(input: OperationInput, plan: OperationPlan, now: Date): Notification {
  return operationNotice(
    input,
    failover(input) ? EVENT_TYPES.failoverStarted : EVENT_TYPES.failbackStarted,
    'started',
    {
      evidence: input.evidence,
      policy: input.policy,
      actions: plan.groups.flatMap((g) =>
        g.entries.flatMap((e) => e.steps.map((s) => `${s.op} ${s.target.label}`)),
      ),
    },
    now,
  );
}

/**
 * The operation is over: the fences it left pending, its outcome (a failback that moved nothing has `failed`;
 * any failed, missing or blocked step, or any read-back mismatch or violation makes it
 * `completed-with-errors`), its measured RTO (to the last read-back),
 * and its closing notices (overrides used, then completed).
 */
export function closeOperationRecord(
  record: OperationRecord,
  input: OperationInput,
  now: Date,
): { record: OperationRecord; outcome: OperationOutcome; notices: Notification[] } {
  // Deferred and failed fences of entries that were activated (never those of a held or blocked entry).
  const pendingFences = record.entries.flatMap((e) => fencesLeftPending(e.steps));
  const pendingSwitches = record.entries.flatMap((e) => switchesLeftPending(e.steps));
  const overrides = record.entries.filter((e) => e.overrideUsed).map((e) => `${e.entry}: ${e.overrideUsed}`);
  const problems =
    record.entries.some(
      (e) =>
        e.blocked ||
        e.steps.some(
          (s) =>
            s.status === 'failed' ||
            s.status === 'missing' ||
            s.status === 'blocked' ||
            s.status === 'pending-switch',
        ),
    ) || record.readBack.slice(1).some((r) => r.mismatches.length > 0 || r.violations.length > 0);
  const outcome: OperationOutcome = failbackMovedNothing(input.request.direction, record.entries)
    ? 'failed'
    : problems
      ? 'completed-with-errors'
      : 'succeeded';
  const rto = { ...record.rto };
  const last = record.readBack.at(-1);
  if (last) rto.to = last.at;
  if (rto.from && rto.to) rto.measuredMs = Date.parse(rto.to) - Date.parse(rto.from);
  const closed: OperationRecord = { ...record, pendingFences, pendingSwitches, status: outcome, rto };
  const notices: Notification[] = [
    ...(overrides.length
      ? [operationNotice(input, EVENT_TYPES.overrideAccepted, 'override', { overrides }, now)]
      : []),
    operationNotice(
      input,
      failover(input) ? EVENT_TYPES.failoverCompleted : EVENT_TYPES.failbackCompleted,
      'completed',
      {
        outcome,
        evidence: input.evidence,
        results: closed.entries.map((e) => ({
          entry: e.entry,
          blocked: e.blocked,
          steps: e.steps.map((s) => ({
            action: `${s.action.op} ${s.action.target.label}`,
            status: s.status,
            error: s.error,
          })),
        })),
        checks: closed.checks,
        readBack: closed.readBack,
        pendingFences: pendingFences.map((t) => t.label),
        rto,
      },
      now,
    ),
  ];
  return { record: closed, outcome, notices };
}
