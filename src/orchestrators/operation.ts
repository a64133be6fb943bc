/**
 * A failover or failback: plan from live states, then group by group fan out one sub-orchestration per entry
 * (steps in order inside an entry), read back after each group, notify, and return the audit record.
 */
import type * as df from 'durable-functions';
import { predictActuation } from '../core/actuation';
import type { EntryPlan, GroupPlan, OperationPlan } from '../core/planner';
import { deferredTargets } from '../core/preflight';
import { failbackMovedNothing, fencesLeftPending, regionsFoundFailing } from '../core/entry-gate';
import type { RegionName } from '../core/planner';
import {
  EVENT_TYPES,
  ORCHESTRATIONS,
  messageIdOf,
  type EntryResult,
  type GroupCheck,
  type NotificationInput,
  type NotificationRecord,
  type OperationInput,
  type OperationOutcome,
  type OperationRecord,
  type PlannedOperation,
  type Signal,
} from '../durable/contracts';
import { errorMessage } from '../core/errors';
import { queueNotifications, queueTask } from './notify';
import { callActivity } from '../durable/activity-calls';
import { armRetry } from '../durable/retries';
import { isBatchable, type BatchInput, type EntryInput } from './entry';
import { targetKey } from '../core/refs';

type Gen<T> = Generator<df.Task, T, unknown>;

const DEFAULT_PROBE_INTERVAL_MS = 30_000;

/**
 * Predicted RTO: for an automatic failover, the worst-case detection (the failures the policy needs, one probe
 * interval apart) plus the actuation; for anything an operator asked for, or a failback, the actuation alone
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
  const detectionMs = failures * (input.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS);
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

export function* operationOrchestrator(context: df.OrchestrationContext): Gen<OperationRecord> {
  const input = context.df.getInput<OperationInput>();
  const { request } = input;
  const now = () => context.df.currentUtcDateTime.toISOString();
  const record: OperationRecord = {
    operationId: input.operationId,
    planId: input.planId,
    request,
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
  const mark = (event: string) => {
    record.timeline.push({ at: now(), event });
    context.df.setCustomStatus({
      operationId: record.operationId,
      status: record.status,
      timeline: record.timeline,
      entriesDone: record.entries.length,
    });
  };
  const failover = request.direction === 'failover';
  const notification = (type: string, step: string, data: Record<string, unknown>): NotificationInput => ({
    type,
    planId: input.planId,
    correlationId: input.operationId,
    messageId: messageIdOf(input.operationId, step),
    time: now(),
    data: {
      operationId: input.operationId,
      direction: request.direction,
      kind: request.kind,
      trigger: request.trigger,
      caller: request.caller,
      override: request.override,
      ...data,
    },
  });

  mark(`${request.direction} requested by ${request.caller.by}: ${request.caller.reason}`);
  let planned: PlannedOperation;
  try {
    planned = yield* callActivity(
      context,
      'planOperation',
      { direction: request.direction, kind: request.kind },
      armRetry(),
    );
  } catch (err) {
    record.status = 'failed';
    record.error = `could not read the estate to plan the ${request.direction}: ${errorMessage(err)}`;
    mark(record.error);
    yield* finish(context, input, record, 'failed', [
      notification(failover ? EVENT_TYPES.failoverFailed : EVENT_TYPES.failbackFailed, 'failed', {
        error: record.error,
        evidence: input.evidence,
      }),
    ]);
    return record;
  }
  record.plan = planned.plan;
  // Stamped with orchestration time, like the rest of the record (activities run on the wall clock).
  record.readBack.push({ ...planned.before, at: now() });
  Object.assign(record.rto, predictedRto(input, planned.plan, context.df.currentUtcDateTime));
  mark(`plan: ${planned.plan.kind} ${request.direction}, ${planned.plan.groups.length} group(s)`);

  const started = notification(
    failover ? EVENT_TYPES.failoverStarted : EVENT_TYPES.failbackStarted,
    'started',
    {
      evidence: input.evidence,
      policy: input.policy,
      actions: planned.plan.groups.flatMap((g) =>
        g.entries.flatMap((e) => e.steps.map((s) => `${s.op} ${s.target.label}`)),
      ),
    },
  );
  let startedQueued = false;
  // When a region holding deferred fences last failed to answer (planning found it silent).
  let silentAt = context.df.currentUtcDateTime.getTime();
  const probeIntervalMs = input.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  // Regions whose fences ran out of budget in an earlier group: tried once from then on.
  let failingRegions: RegionName[] = [];

  for (const [gi, group] of planned.plan.groups.entries()) {
    const check = yield* checkBefore(context, group, gi === 0, silentAt, probeIntervalMs);
    record.checks.push(check);
    if (check.source === 'live' && check.unreadable.length) silentAt = Date.parse(check.at);
    if (check.source === 'live' || check.violations.length)
      mark(
        `group ${group.group} checked: ${check.read.length} deferred target(s) read, ${check.violations.length} violation(s)`,
      );
    const unsafe = new Map(check.violations.map((v) => [v.entry, v.message]));
    const inputOf = (entry: EntryPlan): EntryInput => ({
      operationId: input.operationId,
      group: group.group,
      entry,
      override: request.override,
      direction: request.direction,
      ...(unsafe.has(entry.entry) ? { unsafe: unsafe.get(entry.entry)! } : {}),
      planId: input.planId,
      ...(planned.fenceBudgetMs !== undefined ? { fenceBudgetMs: planned.fenceBudgetMs } : {}),
      ...(failingRegions.length ? { failingRegions } : {}),
    });
    // Plain enables and disables are applied batched, in one sub-orchestration for the whole group (two
    // activities: the fences, then the activations); every other entry in a sub-orchestration of its own.
    const batched = new Set(group.entries.filter((e) => isBatchable(e, unsafe.has(e.entry))));
    const batch: BatchInput = { operationId: input.operationId, inputs: [...batched].map(inputOf) };
    const batchTask = batched.size
      ? [context.df.callSubOrchestrator(ORCHESTRATIONS.batch, batch, `${context.df.instanceId}-g${gi}-batch`)]
      : [];
    const tasks = group.entries.flatMap((entry: EntryPlan, ei) =>
      batched.has(entry)
        ? []
        : [
            context.df.callSubOrchestrator(
              ORCHESTRATIONS.entry,
              inputOf(entry),
              `${context.df.instanceId}-g${gi}-e${ei}`,
            ),
          ],
    );
    // The "started" notice is handed to the outbox alongside the first group (a store write that never
    // throws), so the first ARM writes wait for nothing, and Service Bus is not involved at all.
    const all = [...(startedQueued ? [] : [queueTask(context, [started])]), ...batchTask, ...tasks];
    const results = (all.length ? yield context.df.Task.all(all) : []) as unknown[];
    if (!startedQueued) {
      record.notifications.push(...(results.shift() as NotificationRecord[]));
      startedQueued = true;
    }
    const fromBatch = new Map(
      (batchTask.length ? (results.shift() as EntryResult[]) : []).map((r) => [r.entry, r]),
    );
    let next = 0;
    const entryResults = group.entries.map((e) => fromBatch.get(e.entry) ?? (results[next++] as EntryResult));
    record.entries.push(...entryResults);
    failingRegions = [
      ...new Set([...failingRegions, ...regionsFoundFailing(entryResults.flatMap((e) => e.steps))]),
    ];
    mark(`group ${group.group} applied`);
    try {
      const readBack = yield* callActivity(
        context,
        'readBack',
        {
          direction: request.direction,
          group: group.group,
          entries: group.entries.map((e) => e.entry),
          // Fences left pending target a region whose ARM did not answer: do not spend reads on it again.
          pending: entryResults.flatMap((e) =>
            e.steps.filter((s) => s.status === 'pending-fence').map((s) => targetKey(s.action.target)),
          ),
        },
        armRetry(),
      );
      record.readBack.push({ ...readBack, at: now() });
      mark(
        `group ${group.group} read back: ${readBack.mismatches.length} mismatch(es), ${readBack.violations.length} violation(s)`,
      );
    } catch (err) {
      record.readBack.push({
        group: group.group,
        at: now(),
        mismatches: [],
        violations: [],
        unreadable: [`read-back failed: ${errorMessage(err)}`],
      });
    }
  }
  if (!startedQueued) record.notifications.push(...(yield* queueNotifications(context, [started])));

  // Deferred and failed fences of entries that were activated (never those of a held or blocked entry).
  record.pendingFences = record.entries.flatMap((e) => fencesLeftPending(e.steps));
  const overrides = record.entries.filter((e) => e.overrideUsed).map((e) => `${e.entry}: ${e.overrideUsed}`);
  const closing = overrides.length
    ? [notification(EVENT_TYPES.overrideAccepted, 'override', { overrides })]
    : [];
  const problems =
    record.entries.some(
      (e) =>
        e.blocked ||
        e.steps.some((s) => s.status === 'failed' || s.status === 'missing' || s.status === 'blocked'),
    ) || record.readBack.slice(1).some((r) => r.mismatches.length > 0 || r.violations.length > 0);
  const outcome: OperationOutcome = failbackMovedNothing(request.direction, record.entries)
    ? 'failed'
    : problems
      ? 'completed-with-errors'
      : 'succeeded';
  const last = record.readBack.at(-1);
  if (last) record.rto.to = last.at;
  if (record.rto.from && record.rto.to)
    record.rto.measuredMs = Date.parse(record.rto.to) - Date.parse(record.rto.from);

  record.status = outcome;
  mark(`${request.direction} ${outcome}`);
  closing.push(
    notification(failover ? EVENT_TYPES.failoverCompleted : EVENT_TYPES.failbackCompleted, 'completed', {
      outcome,
      evidence: input.evidence,
      results: record.entries.map((e) => ({
        entry: e.entry,
        blocked: e.blocked,
        steps: e.steps.map((s) => ({
          action: `${s.action.op} ${s.action.target.label}`,
          status: s.status,
          error: s.error,
        })),
      })),
      checks: record.checks,
      readBack: record.readBack,
      pendingFences: record.pendingFences.map((t) => t.label),
      rto: record.rto,
    }),
  );
  yield* finish(context, input, record, outcome, closing);
  return record;
}

/**
 * The safety check just before a group. Only fences deferred at planning can leave an entry running in both
 * regions (every other target ends as the entry's steps set it), so only their targets are read, and only
 * when their region may have come back: not for the first group (planning just found it silent), nor within
 * a probe interval of its last silence (the grace any region gets after it returns).
 */
function* checkBefore(
  context: df.OrchestrationContext,
  group: GroupPlan,
  first: boolean,
  silentAt: number,
  probeIntervalMs: number,
): Gen<GroupCheck> {
  const at = context.df.currentUtcDateTime;
  const deferred = group.entries.filter((e) => deferredTargets(e).length > 0);
  const fromPlan: GroupCheck = {
    group: group.group,
    at: at.toISOString(),
    source: 'plan',
    read: [],
    unreadable: deferred.flatMap((e) => deferredTargets(e).map((t) => t.label)),
    violations: [],
  };
  if (first || deferred.length === 0 || at.getTime() - silentAt < probeIntervalMs) return fromPlan;
  try {
    const live = yield* callActivity(
      context,
      'checkGroup',
      { group: group.group, entries: deferred },
      armRetry(),
    );
    // Stamped with orchestration time, like the read-backs.
    return { ...live, at: context.df.currentUtcDateTime.toISOString() };
  } catch (err) {
    // Nothing could be read: as at planning, the control plane cannot tell, so it does not hold the group.
    return { ...fromPlan, unreadable: [...fromPlan.unreadable, `check failed: ${errorMessage(err)}`] };
  }
}

/**
 * Tells the monitor the operation is over, so it frees the operation slot and keeps pending fences; then hands
 * the closing notices to the outbox (the monitor is never kept waiting for them).
 */
function* finish(
  context: df.OrchestrationContext,
  input: OperationInput,
  record: OperationRecord,
  outcome: OperationOutcome,
  notices: NotificationInput[],
): Gen<void> {
  const signal: Signal = {
    kind: 'operation-finished',
    id: `${input.operationId}:finished`,
    operationId: input.operationId,
    direction: input.request.direction,
    outcome,
    pendingFences: record.pendingFences,
  };
  try {
    yield* callActivity(context, 'signalMonitor', signal, armRetry());
  } catch (err) {
    record.timeline.push({
      at: context.df.currentUtcDateTime.toISOString(),
      event: `could not tell the monitor: ${errorMessage(err)}`,
    });
  }
  record.notifications.push(...(yield* queueNotifications(context, notices)));
}
