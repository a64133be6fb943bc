/**
 * A failover or failback: plan from live states, then group by group fan out one sub-orchestration per entry
 * (steps in order inside an entry), read back after each group, notify, and return the audit record.
 */
import * as df from 'durable-functions';
import type { EntryPlan, OperationPlan } from '../core/planner';
import {
  ACTIVITIES,
  EVENT_TYPES,
  ORCHESTRATIONS,
  type EntryResult,
  type NotificationInput,
  type NotificationRecord,
  type OperationInput,
  type OperationOutcome,
  type OperationRecord,
  type ReadBackReport,
  type Signal,
} from '../durable/contracts';
import { deliver, errorMessage } from './notify';
import type { EntryInput } from './entry';

type Gen<T> = Generator<df.Task, T, unknown>;

/**
 * ARM calls: transient failures (429, 5xx, resets) are retried with backoff on durable timers, for about two
 * and a half minutes (waits 1, 2, 4, 8, 16, then 30 s): the surviving region's ARM is often degraded too.
 */
export function armRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(1_000, 10);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 30_000;
  return retry;
}

export interface PlannedOperation {
  plan: OperationPlan;
  before: ReadBackReport;
}

/** Predicted RTO from the policy: worst-case detection plus the write-bucket-bound actuation time. */
export function predictedRtoMs(input: OperationInput, plan: OperationPlan): number | undefined {
  const p = input.policy;
  if (!p || input.request.trigger !== 'automatic') return undefined;
  const failures = p.failureThreshold ?? p.window?.failures ?? 1;
  const writes = plan.groups
    .flatMap((g) => g.entries.flatMap((e) => e.steps))
    .filter((s) => 'noop' in s && !s.noop).length;
  const probeIntervalMs = input.probeIntervalMs ?? 30_000;
  return failures * probeIntervalMs + Math.max(0, writes - 200) * 100 + plan.groups.length * 1_000;
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
    readBack: [],
    pendingFences: [],
    notifications: [],
    rto: { ...(input.evidence?.firstFailureAt ? { from: input.evidence.firstFailureAt } : {}) },
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
    messageId: `${input.operationId}:${step}`,
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
    planned = (yield context.df.callActivityWithRetry(ACTIVITIES.planOperation, armRetry(), {
      direction: request.direction,
      kind: request.kind,
    })) as PlannedOperation;
  } catch (err) {
    record.status = 'failed';
    record.error = `could not read the estate to plan the ${request.direction}: ${errorMessage(err)}`;
    mark(record.error);
    record.notifications.push(
      yield* deliver(
        context,
        notification(failover ? EVENT_TYPES.failoverFailed : EVENT_TYPES.failbackFailed, 'failed', {
          error: record.error,
          evidence: input.evidence,
        }),
      ),
    );
    yield* finish(context, input, record, 'failed');
    return record;
  }
  record.plan = planned.plan;
  // Stamped with orchestration time, like the rest of the record (activities run on the wall clock).
  record.readBack.push({ ...planned.before, at: now() });
  const predicted = predictedRtoMs(input, planned.plan);
  if (predicted !== undefined) record.rto.predictedMs = predicted;
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
  const startedTask = context.df.callSubOrchestrator(
    ORCHESTRATIONS.deliver,
    started,
    `${context.df.instanceId}-n-started`,
  );
  let startedSent = false;

  for (const [gi, group] of planned.plan.groups.entries()) {
    const tasks = group.entries.map((entry: EntryPlan, ei) => {
      const entryInput: EntryInput = {
        operationId: input.operationId,
        group: group.group,
        entry,
        override: request.override,
        direction: request.direction,
      };
      return context.df.callSubOrchestrator(
        ORCHESTRATIONS.entry,
        entryInput,
        `${context.df.instanceId}-g${gi}-e${ei}`,
      );
    });
    // The "started" notification travels alongside the first group: a dead Service Bus delays nothing.
    const results = (yield context.df.Task.all(startedSent ? tasks : [startedTask, ...tasks])) as unknown[];
    if (!startedSent) {
      record.notifications.push(results.shift() as NotificationRecord);
      startedSent = true;
    }
    record.entries.push(...(results as EntryResult[]));
    mark(`group ${group.group} applied`);
    try {
      const readBack = (yield context.df.callActivityWithRetry(ACTIVITIES.readBack, armRetry(), {
        direction: request.direction,
        group: group.group,
        entries: group.entries.map((e) => e.entry),
        // Fences left pending target a region whose ARM did not answer: do not spend reads on it again.
        pending: (results as EntryResult[]).flatMap((e) =>
          e.steps
            .filter((s) => s.status === 'pending-fence')
            .map((s) => `${s.action.target.region}:${s.action.target.key}`),
        ),
      })) as ReadBackReport;
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
  if (!startedSent) record.notifications.push((yield startedTask) as NotificationRecord);

  record.pendingFences = record.entries.flatMap((e) =>
    e.steps.filter((s) => s.status === 'pending-fence').map((s) => s.action.target),
  );
  const overrides = record.entries.filter((e) => e.overrideUsed).map((e) => `${e.entry}: ${e.overrideUsed}`);
  if (overrides.length) {
    record.notifications.push(
      yield* deliver(context, notification(EVENT_TYPES.overrideAccepted, 'override', { overrides })),
    );
  }
  const problems =
    record.entries.some(
      (e) =>
        e.blocked ||
        e.steps.some((s) => s.status === 'failed' || s.status === 'missing' || s.status === 'blocked'),
    ) || record.readBack.slice(1).some((r) => r.mismatches.length > 0 || r.violations.length > 0);
  const outcome: OperationOutcome = problems ? 'completed-with-errors' : 'succeeded';
  const last = record.readBack.at(-1);
  if (last) record.rto.to = last.at;
  if (record.rto.from && record.rto.to)
    record.rto.measuredMs = Date.parse(record.rto.to) - Date.parse(record.rto.from);

  record.status = outcome;
  mark(`${request.direction} ${outcome}`);
  record.notifications.push(
    yield* deliver(
      context,
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
        readBack: record.readBack,
        pendingFences: record.pendingFences.map((t) => t.label),
        rto: record.rto,
      }),
    ),
  );
  yield* finish(context, input, record, outcome);
  return record;
}

/** Tells the monitor the operation is over, so it frees the operation slot and keeps pending fences. */
function* finish(
  context: df.OrchestrationContext,
  input: OperationInput,
  record: OperationRecord,
  outcome: OperationOutcome,
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
    yield context.df.callActivityWithRetry(ACTIVITIES.signalMonitor, armRetry(), signal);
  } catch (err) {
    record.timeline.push({
      at: context.df.currentUtcDateTime.toISOString(),
      event: `could not tell the monitor: ${errorMessage(err)}`,
    });
  }
}
