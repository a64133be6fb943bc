/**
 * A failover or failback: plan from live states, then group by group fan out one sub-orchestration per entry
 * (steps in order inside an entry), read back after each group, notify, and return the audit record.
 */
import type * as df from 'durable-functions';
import type { EntryPlan, GroupPlan, OperationPlan, RegionName, WorkflowTarget } from '../core/planner';
import { placedRegion } from '../core/notifications';
import type { RunsInFlight } from '../core/operation-record-types';
import { deferredTargets } from '../core/preflight';
import { splitSlotWait, type SplitSlotWait } from '../core/actuation';
import { fencesLeftPending, regionsFoundFailing, stoppedWords } from '../core/entry-gate';
import {
  DEFAULT_PROBE_INTERVAL_MS,
  closeOperationRecord,
  failedToPlan,
  openOperationRecord,
  predictedRto,
  startedNotice,
} from '../core/operation-record';
import {
  fitReleased,
  type EntryInput,
  type BatchInput,
  type GroupCheck,
  type NotificationInput,
  type OperationInput,
  type OperationLiveStatus,
  type OperationOutcome,
  type OperationRecord,
  type OperationStop,
  type PlannedOperation,
  type Signal,
  type TraceCarrier,
} from '../durable/contracts';
import { errorMessage } from '../core/errors';
import { queueNotifications, queueTask } from './notify';
import { callActivity, fanOut, subOrchestrationTask, traced, type Gen } from '../durable/activity-calls';
import { groupCarrier, operationCarrier, operationTelemetry } from '../core/operation-telemetry';
import { armRetry, DEFAULT_FENCE_BUDGET_MS } from '../durable/retries';
import { formatDuration } from '../core/duration';
import { blockedNotice, isBatchable, refusedResult } from './entry';
import { targetKey } from '../core/refs';
import { stopSeen, waitTellingStop, type StopWatch } from './stop';

// The record's pure parts (outcome, RTO, notices) are built in the core; re-exported for their callers.
export { predictedRto, rtoStart } from '../core/operation-record';

export function* operationOrchestrator(context: df.OrchestrationContext): Gen<OperationRecord> {
  const input = context.df.getInput<OperationInput>();
  const { request } = input;
  const now = () => context.df.currentUtcDateTime.toISOString();
  let record = openOperationRecord(input);
  // A group whose split entries wait for their slot boundary: said in the live status until the group is done.
  let waiting: SplitSlotWait | undefined;
  // Fences left pending by groups already done, and the instances of the group running now: published, so the
  // monitor applies a pending fence as soon as its entry is done, not when the whole operation ends.
  const released: WorkflowTarget[] = [];
  let working: string[] = [];
  const publish = () => {
    const live: OperationLiveStatus = {
      operationId: record.operationId,
      status: record.status,
      timeline: record.timeline,
      entriesDone: record.entries.length,
      ...(waiting ? { waiting } : {}),
      ...fitReleased(released, working),
    };
    context.df.setCustomStatus(live);
  };
  const mark = (event: string) => {
    record.timeline.push({ at: now(), event });
    publish();
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
  const [from, to]: [RegionName, RegionName] =
    request.direction === 'failover' ? ['primary', 'secondary'] : ['secondary', 'primary'];
  mark(
    `plan: ${planned.plan.kind} ${request.direction} from ${placedRegion(from, input.regions)} to ${placedRegion(to, input.regions)}, ${planned.plan.groups.length} group(s)`,
  );

  const started = startedNotice(input, planned.plan, context.df.currentUtcDateTime);
  let startedQueued = false;
  // When a region holding deferred fences last failed to answer (planning found it silent).
  let silentAt = context.df.currentUtcDateTime.getTime();
  const probeIntervalMs = input.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  // Regions whose fences ran out of budget in an earlier group: tried once from then on.
  let failingRegions: RegionName[] = [];
  // An operator's stop: seen at a group boundary, or while a group runs (then passed on to its entries).
  const watch: StopWatch = {};

  for (const [gi, group] of planned.plan.groups.entries()) {
    const stop = stopSeen(watch);
    if (stop) {
      // The groups not begun do not run: recorded, so nothing is left half-applied without a trace.
      const notRun = planned.plan.groups.slice(gi).flatMap((g) => g.entries.map((e) => e.entry));
      record.stopped = { ...stop, notRun };
      mark(`stopped before group ${group.group}: ${stoppedWords(stop)}; not run: ${notRun.join(', ')}`);
      break;
    }
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
      ...(input.regions ? { regions: input.regions } : {}),
      ...(planned.fenceBudgetMs !== undefined ? { fenceBudgetMs: planned.fenceBudgetMs } : {}),
      ...(failingRegions.length ? { failingRegions } : {}),
      ...(input.knownFailing ? { knownFailing: input.knownFailing } : {}),
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
    const batchId = `${context.df.instanceId}-g${gi}-batch`;
    const entryId = (ei: number) => `${context.df.instanceId}-g${gi}-e${ei}`;
    working = [
      ...(batched.size ? [batchId] : []),
      ...group.entries.flatMap((entry, ei) => (batched.has(entry) ? [] : [entryId(ei)])),
    ];
    // Said in the live status, so an operator sees what it is doing while ARM is slow or a fence is retried.
    const budget = formatDuration(planned.fenceBudgetMs ?? DEFAULT_FENCE_BUDGET_MS);
    mark(
      `group ${group.group} runs: ${group.entries.map((e) => e.entry).join(', ')} (fences first, retried for at most ${budget} against a region answering with errors${failingRegions.length ? `; tried once in ${failingRegions.join(', ')}, found failing` : ''})`,
    );
    // Entries refused before any step, said in one notice (one page, not one per entry): at the first group
    // every entry held when planned, whatever its group; at each group those its check found unsafe.
    const refused = [
      ...(gi === 0
        ? planned.plan.groups.flatMap((g) =>
            g.entries.filter((e) => e.blocked).map((e) => ({ ...inputOf(e), group: g.group })),
          )
        : []),
      ...group.entries.filter((e) => !e.blocked && unsafe.has(e.entry)).map(inputOf),
    ];
    const held = blockedNotice(
      refused,
      refused.flatMap((i) => refusedResult(i, now()) ?? []),
      context.df.currentUtcDateTime,
    );
    const notices = [...(startedQueued ? [] : [started]), ...(held ? [held] : [])];
    // The "started" notice is handed to the outbox alongside the first group (a store write that never
    // throws), so the first ARM writes wait for nothing, and Service Bus is not involved at all.
    const fan = fanOut(context, {
      queued: notices.length ? [queueTask(context, notices)] : [],
      batch: batched.size ? [subOrchestrationTask(context, 'batch', batch, batchId)] : [],
      entries: group.entries.flatMap((entry: EntryPlan, ei) =>
        batched.has(entry) ? [] : [subOrchestrationTask(context, 'entry', inputOf(entry), entryId(ei))],
      ),
    });
    const results = fan.results(
      fan.task
        ? yield* waitTellingStop(context, watch, fan.task, function* (stop) {
            mark(
              `stop asked: ${stoppedWords(stop)}; group ${group.group}'s entries stop at their next step boundary`,
            );
            const error = yield* tellEntries(context, input, stop);
            if (error) mark(`the entries could not be told to stop (${error}): the monitor tells them again`);
          })
        : [],
    );
    record.notifications.push(...results.queued.flat());
    startedQueued = true;
    const fromBatch = new Map(results.batch.flat().map((r) => [r.entry, r]));
    let next = 0;
    const entryResults = group.entries.map((e) => fromBatch.get(e.entry) ?? results.entries[next++]!);
    record.entries.push(...entryResults);
    // Done with these entries: their pending fences are the monitor's to apply from now on.
    const left = new Set(released.map(targetKey));
    released.push(
      ...entryResults.flatMap((e) => fencesLeftPending(e.steps)).filter((t) => !left.has(targetKey(t))),
    );
    working = [];
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
  // A stop seen during the last group still makes the outcome say so (every group ran, as far as it could).
  const late = stopSeen(watch);
  if (late && !record.stopped) record.stopped = { ...late, notRun: [] };
  const known = [...new Set([...(input.knownFailing?.regions ?? []), ...failingRegions])];
  if (known.length) record.failingRegions = known;
  record.runsInFlight = yield* runsInFlight(context, planned.plan, failingRegions);
  if (record.runsInFlight.error) mark(record.runsInFlight.error);
  else
    mark(
      `${record.runsInFlight.runs.length + record.runsInFlight.more} run(s) in flight in ${placedRegion(record.runsInFlight.region, input.regions)}`,
    );

  const closed = closeOperationRecord(record, input, context.df.currentUtcDateTime);
  record = closed.record;
  mark(`${request.direction} ${closed.outcome}`);
  yield* finish(context, input, record, closed.outcome, closed.notices);
  yield* recordTelemetry(context, record);
  return record;
}

/**
 * The runs in flight in the region the operation leaves, read once every group is applied and read back, so
 * they never delay an activation or the measured RTO. Bounded by the activity; a region whose ARM did not
 * answer at planning is not asked again; a failed read is recorded, never the operation's failure.
 */
function* runsInFlight(
  context: df.OrchestrationContext,
  plan: OperationPlan,
  failingRegions: readonly RegionName[],
): Gen<RunsInFlight> {
  const region: RegionName = plan.direction === 'failover' ? 'primary' : 'secondary';
  const silent = plan.groups.some((g) =>
    g.entries.some((e) => e.steps.some((s) => s.op === 'pending-fence' && s.target.region === region)),
  );
  // A region whose ARM failed this operation's fences until their budget ran out is not asked for more.
  const skip = silent
    ? `the ${region}'s ARM did not answer at planning`
    : failingRegions.includes(region)
      ? `the ${region}'s ARM failed this ${plan.direction}'s fences`
      : undefined;
  try {
    return yield* callActivity(context, 'listRunsInFlight', { region, ...(skip ? { skip } : {}) });
  } catch (err) {
    return {
      region,
      at: context.df.currentUtcDateTime.toISOString(),
      runs: [],
      more: 0,
      unlisted: [],
      error: `could not list runs: ${errorMessage(err)}`,
    };
  }
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
 * Passes a stop on to the group's entries (the activity tells every running sub-orchestration of this one);
 * why it could not, if it could not.
 */
function* tellEntries(
  context: df.OrchestrationContext,
  input: OperationInput,
  stop: OperationStop,
): Gen<string | undefined> {
  try {
    yield* callActivity(
      context,
      'cancelOperation',
      { planId: input.planId, operationId: input.operationId, stop },
      armRetry(),
    );
    return undefined;
  } catch (err) {
    // The entries were not told: they finish their steps as if no stop had come, and the monitor tells again.
    return errorMessage(err);
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
    ...(record.failingRegions ? { failingRegions: record.failingRegions } : {}),
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
