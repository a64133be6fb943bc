/**
 * A failover or failback: plan from live states, then group by group fan out one sub-orchestration per entry
 * (steps in order inside an entry), read back after each group, notify, and return the audit record.
 */
import type * as df from 'durable-functions';
import type { EntryPlan, GroupPlan, RegionName } from '../core/planner';
import { deferredTargets } from '../core/preflight';
import { splitSlotWait, type SplitSlotWait } from '../core/actuation';
import { regionsFoundFailing } from '../core/entry-gate';
import {
  DEFAULT_PROBE_INTERVAL_MS,
  closeOperationRecord,
  failedToPlan,
  openOperationRecord,
  predictedRto,
  startedNotice,
} from '../core/operation-record';
import {
  type EntryInput,
  type BatchInput,
  type GroupCheck,
  type NotificationInput,
  type OperationInput,
  type OperationOutcome,
  type OperationRecord,
  type PlannedOperation,
  type Signal,
  type TraceCarrier,
} from '../durable/contracts';
import { errorMessage } from '../core/errors';
import { queueNotifications, queueTask } from './notify';
import { allOf, callActivity, subOrchestrationTask, traced, type Gen } from '../durable/activity-calls';
import { groupCarrier, operationCarrier, operationTelemetry } from '../core/operation-telemetry';
import { armRetry } from '../durable/retries';
import { isBatchable } from './entry';
import { targetKey } from '../core/refs';

// The record's pure parts (outcome, RTO, notices) are built in the core; re-exported for their callers.
export { predictedRto, rtoStart } from '../core/operation-record';

export function* operationOrchestrator(context: df.OrchestrationContext): Gen<OperationRecord> {
  const input = context.df.getInput<OperationInput>();
  const { request } = input;
  const now = () => context.df.currentUtcDateTime.toISOString();
  let record = openOperationRecord(input);
  // A group whose split entries wait for their slot boundary: said in the live status until the group is done.
  let waiting: SplitSlotWait | undefined;
  const mark = (event: string) => {
    record.timeline.push({ at: now(), event });
    context.df.setCustomStatus({
      operationId: record.operationId,
      status: record.status,
      timeline: record.timeline,
      entriesDone: record.entries.length,
      ...(waiting ? { waiting } : {}),
    });
  };

  mark(`${request.direction} requested by ${request.caller.by}: ${request.caller.reason}`);
  // The operation's trace: its activities run as spans under these (derived from the operation id).
  const opTrace = operationCarrier(input.planId, input.operationId);
  let planned: PlannedOperation;
  try {
    planned = yield* callActivity(
      context,
      'planOperation',
      traced({ direction: request.direction, kind: request.kind }, opTrace),
      armRetry(),
    );
  } catch (err) {
    // Planning failed after its retries (ARM unreadable): the operation ends failed, saying why.
    const failed = failedToPlan(record, input, errorMessage(err), context.df.currentUtcDateTime);
    record = failed.record;
    mark(record.error!);
    yield* finish(context, input, record, 'failed', failed.notices);
    yield* recordTelemetry(context, record);
    return record;
  }
  record.plan = planned.plan;
  // Stamped with orchestration time, like the rest of the record (activities run on the wall clock).
  record.readBack.push({ ...planned.before, at: now() });
  Object.assign(record.rto, predictedRto(input, planned.plan, context.df.currentUtcDateTime));
  mark(`plan: ${planned.plan.kind} ${request.direction}, ${planned.plan.groups.length} group(s)`);

  const started = startedNotice(input, planned.plan, context.df.currentUtcDateTime);
  let startedQueued = false;
  // When a region holding deferred fences last failed to answer (planning found it silent).
  let silentAt = context.df.currentUtcDateTime.getTime();
  const probeIntervalMs = input.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  // Regions whose fences ran out of budget in an earlier group: tried once from then on.
  let failingRegions: RegionName[] = [];

  for (const [gi, group] of planned.plan.groups.entries()) {
    const groupTrace = groupCarrier(input.planId, input.operationId, gi, group.group);
    const check = yield* checkBefore(context, group, gi === 0, silentAt, probeIntervalMs, groupTrace);
    record.checks.push(check);
    if (check.source === 'live' && check.unreadable.length) silentAt = Date.parse(check.at);
    if (check.source === 'live' || check.violations.length)
      mark(
        `group ${group.group} checked: ${check.read.length} deferred target(s) read, ${check.violations.length} violation(s)`,
      );
    const unsafe = new Map(check.violations.map((v) => [v.entry, v.message]));
    waiting = splitSlotWait(
      group.entries.filter((e) => !unsafe.has(e.entry)),
      context.df.currentUtcDateTime,
    );
    if (waiting) mark(`group ${group.group}: ${waiting.says} (${waiting.entries.join(', ')})`);
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
      traceContext: groupTrace,
    });
    // Plain enables and disables are applied batched, in one sub-orchestration for the whole group (two
    // activities: the fences, then the activations); every other entry in a sub-orchestration of its own.
    const batched = new Set(group.entries.filter((e) => isBatchable(e, unsafe.has(e.entry))));
    const batch: BatchInput = {
      operationId: input.operationId,
      inputs: [...batched].map(inputOf),
      traceContext: groupTrace,
    };
    // The "started" notice is handed to the outbox alongside the first group (a store write that never
    // throws), so the first ARM writes wait for nothing, and Service Bus is not involved at all.
    const results = yield* allOf(context, {
      queued: startedQueued ? [] : [queueTask(context, [started])],
      batch: batched.size
        ? [subOrchestrationTask(context, 'batch', batch, `${context.df.instanceId}-g${gi}-batch`)]
        : [],
      entries: group.entries.flatMap((entry: EntryPlan, ei) =>
        batched.has(entry)
          ? []
          : [
              subOrchestrationTask(
                context,
                'entry',
                inputOf(entry),
                `${context.df.instanceId}-g${gi}-e${ei}`,
              ),
            ],
      ),
    });
    if (!startedQueued) {
      record.notifications.push(...results.queued.flat());
      startedQueued = true;
    }
    const fromBatch = new Map(results.batch.flat().map((r) => [r.entry, r]));
    let next = 0;
    const entryResults = group.entries.map((e) => fromBatch.get(e.entry) ?? results.entries[next++]!);
    record.entries.push(...entryResults);
    failingRegions = [
      ...new Set([...failingRegions, ...regionsFoundFailing(entryResults.flatMap((e) => e.steps))]),
    ];
    waiting = undefined;
    mark(`group ${group.group} applied`);
    try {
      const readBack = yield* callActivity(
        context,
        'readBack',
        traced(
          {
            direction: request.direction,
            group: group.group,
            entries: group.entries.map((e) => e.entry),
            // Fences left pending target a region whose ARM did not answer: do not spend reads on it again.
            pending: entryResults.flatMap((e) =>
              e.steps.filter((s) => s.status === 'pending-fence').map((s) => targetKey(s.action.target)),
            ),
          },
          groupTrace,
        ),
        armRetry(),
      );
      record.readBack.push({ ...readBack, at: now() });
      mark(
        `group ${group.group} read back: ${readBack.mismatches.length} mismatch(es), ${readBack.violations.length} violation(s)`,
      );
    } catch (err) {
      // The read-back activity failed after its retries: the group is recorded as unverified, and the next runs.
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

  const closed = closeOperationRecord(record, input, context.df.currentUtcDateTime);
  record = closed.record;
  mark(`${request.direction} ${closed.outcome}`);
  yield* finish(context, input, record, closed.outcome, closed.notices);
  yield* recordTelemetry(context, record);
  return record;
}

/**
 * Writes the operation's span, its group spans and its metrics (duration, measured RTO) once, from the audit
 * record, after the monitor was told and the notices queued: nothing waits for it, and it never fails the
 * operation (no retries; a failure is only noted in the timeline).
 */
function* recordTelemetry(context: df.OrchestrationContext, record: OperationRecord): Gen<void> {
  try {
    yield* callActivity(
      context,
      'recordOperation',
      operationTelemetry(record, context.df.currentUtcDateTime),
    );
  } catch (err) {
    record.timeline.push({
      at: context.df.currentUtcDateTime.toISOString(),
      event: `telemetry not recorded: ${errorMessage(err)}`,
    });
  }
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
  trace: TraceCarrier,
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
      traced({ group: group.group, entries: deferred }, trace),
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
    pendingSwitches: record.pendingSwitches ?? [],
  };
  try {
    yield* callActivity(context, 'signalMonitor', signal, armRetry());
  } catch (err) {
    // The signal could not be raised after its retries: the monitor learns the end from this instance's status.
    record.timeline.push({
      at: context.df.currentUtcDateTime.toISOString(),
      event: `could not tell the monitor: ${errorMessage(err)}`,
    });
  }
  record.notifications.push(...(yield* queueNotifications(context, notices)));
}
