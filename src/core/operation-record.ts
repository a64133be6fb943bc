/**
 * An operation's audit record as pure data and pure builders: the record it starts with, its outcome, its RTO
 * (measured and predicted) and the notices it sends. The operation orchestrator only runs the activities and
 * sub-orchestrations and hands their results to these functions.
 */
import { DETECTION_QUEUE_HOPS, QUEUE_POLL_MAX_MS, predictActuation } from './actuation';
import { failbackMovedNothing, fencesLeftPending, switchesLeftPending } from './entry-gate';
import type { FailureEvidence, MonitorPolicy } from './monitor';
import type { OperationInput, OperationOutcome, OperationRequest, OperationStop } from './monitor-record';
import {
  EVENT_TYPES,
  notificationOf,
  type EventType,
  type Notification,
  type NotificationData,
  type OperationFacts,
  type RegionPlaces,
  placedLabel,
} from './notifications';
import type { OperationPlan, PendingSwitch, RegionName, WorkflowTarget } from './planner';
import type {
  EntryResult,
  GroupCheck,
  MovedExtent,
  NotMoved,
  OperationRto,
  ReadBackReport,
  RunsInFlight,
} from './operation-record-types';
import { protects } from './verify';

export type {
  EntryResult,
  GroupCheck,
  MovedExtent,
  NotMoved,
  NotMovedWhy,
  OperationRto,
  ReadBackReport,
  RunInFlight,
  RunsInFlight,
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
  /** The plan's regions (Azure locations): `primary` and `secondary` in the steps' labels are these. */
  regions?: RegionPlaces;
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
  /** Set when the operation ends: how much of the plan moved, and each entry that did not, with why. */
  moved?: MovedExtent;
  notMoved?: NotMoved[];
  /**
   * Regions whose fences ran out of retries here (or were cut short by a stop), and those the operation it
   * superseded found failing: what replaces this operation does not try them again.
   */
  failingRegions?: RegionName[];
  /** An operator stopped it at a step boundary: who, why, and the plan entries that never ran. */
  stopped?: OperationStop & { notRun: string[] };
  notifications: NotificationRecord[];
  rto: OperationRto;
  /** The runs the region being left had in flight: what to resubmit (read beside the first group). */
  runsInFlight?: RunsInFlight;
  error?: string;
}

const RAN = new Set(['done', 'noop']);

/**
 * Each entry an operation did not wholly move, with why (see NotMovedWhy), from its entries' results: said
 * plainly in the audit record, the completed notice and the status, so a partial failover never reads as a
 * whole one. An entry is named once, by the first thing that kept it back.
 */
export function notMovedOf(direction: 'failover' | 'failback', entries: readonly EntryResult[]): NotMoved[] {
  const taker = direction === 'failover' ? 'secondary' : 'primary';
  const out: NotMoved[] = [];
  for (const e of entries) {
    if (e.blocked) {
      out.push({ entry: e.entry, why: e.blocked.startsWith('held') ? 'held' : 'blocked', reason: e.blocked });
      continue;
    }
    const kept = e.steps.find(
      (s) =>
        (s.status === 'missing' && s.action.target.region === taker) ||
        (!protects(s.action) &&
          s.action.op !== 'missing' &&
          s.action.op !== 'pending-fence' &&
          s.action.op !== 'pending-switch' &&
          !RAN.has(s.status)),
    );
    if (kept) {
      const why = kept.status === 'missing' ? 'missing' : kept.status === 'blocked' ? 'blocked' : 'failed';
      const reason = `${kept.action.op} ${kept.action.target.label}: ${kept.status}${kept.error ? ` (${kept.error})` : ''}`;
      out.push({ entry: e.entry, why, reason });
      continue;
    }
    const unswitched = e.steps.find((s) => s.status === 'pending-switch');
    if (unswitched) {
      out.push({
        entry: e.entry,
        why: 'pending-switch',
        reason: `${unswitched.action.target.label} runs, but its router was not switched: ${unswitched.error ?? 'its ARM did not answer'}`,
      });
      continue;
    }
    const unfenced = fencesLeftPending(e.steps);
    if (unfenced.length)
      out.push({
        entry: e.entry,
        why: 'pending-fence',
        reason: `moved, but ${unfenced.map((t) => t.label).join(', ')} is not fenced yet (pending until its region's ARM answers) and may still run`,
        fences: unfenced.map((t) => t.label),
      });
  }
  return out;
}

/**
 * How much moved: `none` when no entry moved at all (every one held, blocked, failed or missing), `partial`
 * when some did not, `all` otherwise. A fence still pending alone does not make it partial: the entry moved.
 */
export function movedExtent(
  entries: readonly { entry: string }[],
  notMoved: readonly NotMoved[],
): MovedExtent {
  const kept = new Set(notMoved.filter((n) => n.why !== 'pending-fence').map((n) => n.entry));
  if (kept.size === 0) return 'all';
  return entries.length > 0 && entries.every((e) => kept.has(e.entry)) ? 'none' : 'partial';
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
    ...(input.regions ? { regions: input.regions } : {}),
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
      regions: input.regions,
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
        g.entries.flatMap((e) => e.steps.map((s) => `${s.op} ${placedLabel(s.target, input.regions)}`)),
      ),
      held: plan.groups.flatMap((g) => g.entries.filter((e) => e.blocked).map((e) => e.entry)),
    },
    now,
  );
}

/**
 * The operation is over: the fences it left pending, its outcome (stopped by an operator: `cancelled` or
 * `superseded`; a failback that moved nothing has `failed`;
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
            s.status === 'pending-switch' ||
            // Left pending untried (its region's fences failed before): the region may still run it.
            (s.status === 'pending-fence' && s.error !== undefined),
        ),
    ) || record.readBack.slice(1).some((r) => r.mismatches.length > 0 || r.violations.length > 0);
  const outcome: OperationOutcome = record.stopped
    ? record.stopped.outcome
    : failbackMovedNothing(input.request.direction, record.entries)
      ? 'failed'
      : problems
        ? 'completed-with-errors'
        : 'succeeded';
  const rto = { ...record.rto };
  const last = record.readBack.at(-1);
  if (last) rto.to = last.at;
  if (rto.from && rto.to) rto.measuredMs = Date.parse(rto.to) - Date.parse(rto.from);
  const notMoved = notMovedOf(input.request.direction, record.entries);
  const moved = movedExtent(record.entries, notMoved);
  const closed: OperationRecord = {
    ...record,
    pendingFences,
    pendingSwitches,
    moved,
    notMoved,
    status: outcome,
    rto,
  };
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
            action: `${s.action.op} ${placedLabel(s.action.target, input.regions)}`,
            status: s.status,
            error: s.error,
          })),
        })),
        checks: closed.checks,
        readBack: closed.readBack,
        pendingFences: pendingFences.map((t) => placedLabel(t, input.regions)),
        moved,
        notMoved,
        rto,
        ...(closed.runsInFlight ? { runsInFlight: closed.runsInFlight } : {}),
      },
      now,
    ),
  ];
  return { record: closed, outcome, notices };
}
