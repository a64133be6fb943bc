/**
 * The monitor: a singleton eternal orchestration per plan. Each execution handles exactly one signal (a
 * watchdog tick, an operator command, an operation finishing), publishes its state and continues as new, so
 * history stays bounded. It is the single writer of "is an operation running", which is why a manual
 * failover racing an automatic one still yields one failover. Signals that arrive mid-execution are lost at
 * continueAsNew: ticks and HTTP requests are sent again; an operation's end is reconciled from its status.
 */
import type * as df from 'durable-functions';
import { decide, type MonitorCommand, type MonitorState } from '../core/monitor';
import {
  EVENT_TYPES,
  MONITOR_SIGNAL,
  type MonitorInput,
  type MonitorStatus,
  type NotificationInput,
  type OperationInput,
  type OperationOutcome,
  type OperationProgress,
  type ProbeActivityResult,
  type RequestAnswer,
  type Signal,
  fitMonitorStatus,
  messageIdOf,
} from '../durable/contracts';
import type { WorkflowTarget } from '../core/planner';
import { errorMessage } from '../core/errors';
import { queueNotifications } from './notify';
import { callActivity } from '../durable/activity-calls';
import { startRetry } from '../durable/retries';
import { targetKey } from '../core/refs';

const KEEP_ANSWERS = 50;

type Gen<T> = Generator<df.Task, T, unknown>;

export function* monitorOrchestrator(context: df.OrchestrationContext): Gen<void> {
  const input = context.df.getInput<MonitorInput>();
  let m: MonitorInput = { ...input, executions: input.executions + 1 };
  publish(context, m);
  const signal = (yield context.df.waitForExternalEvent(MONITOR_SIGNAL)) as Signal;
  // What this execution has to say goes to the outbox once, after every decision and ARM-bound start: the
  // monitor never waits on Service Bus.
  const outbox: NotificationInput[] = [];
  m = yield* handleSignal(context, m, signal, outbox);
  yield* queueNotifications(context, outbox);
  publish(context, m);
  context.df.continueAsNew(m);
}

function publish(context: df.OrchestrationContext, m: MonitorInput): void {
  const status: MonitorStatus = { ...m, updatedAt: context.df.currentUtcDateTime.toISOString() };
  context.df.setCustomStatus(fitMonitorStatus(status));
}

function answer(m: MonitorInput, a: RequestAnswer): MonitorInput {
  return { ...m, answers: [...m.answers.filter((x) => x.id !== a.id), a].slice(-KEEP_ANSWERS) };
}

function notify(
  context: df.OrchestrationContext,
  outbox: NotificationInput[],
  m: MonitorInput,
  type: string,
  step: string,
  data: Record<string, unknown>,
): void {
  const now = context.df.currentUtcDateTime.toISOString();
  const n: NotificationInput = {
    type,
    planId: m.planId,
    correlationId: m.activeOperation?.operationId ?? `monitor-${m.planId}`,
    messageId: messageIdOf(m.planId, step),
    time: now,
    data: {
      ...data,
      monitor: {
        mode: m.state.mode,
        activeRegion: m.state.activeRegion,
        consecutiveFailures: m.state.consecutiveFailures,
        policy: m.policy,
      },
    },
  };
  outbox.push(n);
}

function* handleSignal(
  context: df.OrchestrationContext,
  m0: MonitorInput,
  signal: Signal,
  outbox: NotificationInput[],
): Gen<MonitorInput> {
  const m = yield* dispatchSignal(context, m0, signal, outbox);
  // Only the request that got the answer stamps it: a repeat must not overwrite the first one's fingerprint.
  if (!('fingerprint' in signal) || !signal.fingerprint || m0.answers.some((a) => a.id === signal.id))
    return m;
  const { fingerprint } = signal;
  return { ...m, answers: m.answers.map((a) => (a.id === signal.id ? { ...a, fingerprint } : a)) };
}

function* dispatchSignal(
  context: df.OrchestrationContext,
  m0: MonitorInput,
  signal: Signal,
  outbox: NotificationInput[],
): Gen<MonitorInput> {
  const now = context.df.currentUtcDateTime;
  let m = m0;
  if (signal.kind !== 'tick' && m.answers.some((a) => a.id === signal.id)) return m; // A retried request: already answered.

  // Operator requests are judged against the plan's policy, which arrives with the first tick.
  if (
    (signal.kind === 'pause' || signal.kind === 'resume' || signal.kind === 'request-operation') &&
    !m.policy
  )
    return answer(m, {
      id: signal.id,
      status: 'refused',
      reason: 'the monitor has not received its policy yet (no tick so far); retry in a few seconds',
    });

  switch (signal.kind) {
    case 'tick':
      return yield* onTick(context, m, signal, outbox);

    case 'pause':
    case 'resume': {
      if (!m.policy) return m; // checked above
      const d = decide(
        m.state,
        signal.kind === 'pause'
          ? { type: 'pause', until: signal.until, reason: signal.caller.reason, by: signal.caller.by }
          : { type: 'resume', by: signal.caller.by },
        m.policy,
        now,
      );
      const rejected = d.commands.find((c) => c.type === 'rejected');
      if (rejected && rejected.type === 'rejected')
        return answer(m, { id: signal.id, status: 'refused', reason: rejected.reason });
      m = answer({ ...m, state: d.state }, { id: signal.id, status: 'applied' });
      notify(
        context,
        outbox,
        m,
        signal.kind === 'pause' ? EVENT_TYPES.paused : EVENT_TYPES.resumed,
        `${signal.kind}:${signal.id}`,
        {
          caller: signal.caller,
          ...(signal.kind === 'pause' ? { until: d.state.pause?.until } : {}),
        },
      );
      return m;
    }

    case 'request-operation':
      return yield* onOperationRequest(context, m, signal);

    case 'operation-finished':
      return finishOperation(m, signal, now);

    default:
      return m; // Not a signal this version knows: ignored, so the state survives to continueAsNew.
  }
}

/**
 * Frees the operation slot and keeps the fences the operation left pending. Reached by the operation's own
 * signal or by reconciliation (whichever comes first); the other then finds no such active operation.
 */
function finishOperation(
  m: MonitorInput,
  done: { operationId: string; outcome: OperationOutcome; pendingFences: WorkflowTarget[] },
  now: Date,
): MonitorInput {
  const active = m.activeOperation;
  if (!active || active.operationId !== done.operationId) return m;
  const policy = m.policy;
  let state = m.state;
  if (policy) {
    const event = active.direction === 'failover' ? 'failover-finished' : 'failback-finished';
    state = decide(
      state,
      { type: event, operationId: done.operationId, outcome: done.outcome },
      policy,
      now,
    ).state;
  }
  const finished = { ...active, finishedAt: now.toISOString(), outcome: done.outcome };
  const pendingFences =
    active.direction === 'failback' && done.outcome !== 'failed'
      ? []
      : mergeTargets(m.pendingFences, done.pendingFences);
  const { activeOperation: _done, ...rest } = m;
  return { ...rest, state, lastOperation: finished, pendingFences };
}

/**
 * An `operation-finished` signal that reaches the monitor while it handles another signal is dropped at
 * continueAsNew (durable-functions JS cannot carry unprocessed events over). So once an operation has run
 * longer than a probe interval, each probe cycle asks its instance whether it is over.
 */
function* reconcileOperation(
  context: df.OrchestrationContext,
  m: MonitorInput,
  probeIntervalMs: number,
): Gen<MonitorInput> {
  const active = m.activeOperation;
  const now = context.df.currentUtcDateTime;
  if (!active || now.getTime() - Date.parse(active.startedAt) <= probeIntervalMs) return m;
  let progress: OperationProgress;
  try {
    progress = yield* callActivity(context, 'operationStatus', {
      planId: m.planId,
      operationId: active.operationId,
    });
  } catch {
    return m; // Unknown for now (status unreadable): ask again next cycle.
  }
  return progress.finished ? finishOperation(m, { operationId: active.operationId, ...progress }, now) : m;
}

function mergeTargets(a: WorkflowTarget[], b: WorkflowTarget[]): WorkflowTarget[] {
  const seen = new Set(a.map(targetKey));
  return [...a, ...b.filter((t) => !seen.has(targetKey(t)))];
}

function* onTick(
  context: df.OrchestrationContext,
  m0: MonitorInput,
  tick: Extract<Signal, { kind: 'tick' }>,
  outbox: NotificationInput[],
): Gen<MonitorInput> {
  let m: MonitorInput = {
    ...m0,
    policy: tick.policy,
    probeIntervalMs: tick.probeIntervalMs,
    lastTickAt: context.df.currentUtcDateTime.toISOString(),
  };
  // Duplicate and late ticks: one probe per probe-interval cycle of orchestration time, never two.
  const cycle = Math.floor(context.df.currentUtcDateTime.getTime() / tick.probeIntervalMs);
  if (m.lastProbeCycle !== undefined && cycle <= m.lastProbeCycle) return m;
  m = { ...m, lastProbeCycle: cycle };
  m = yield* reconcileOperation(context, m, tick.probeIntervalMs);

  let probe: ProbeActivityResult;
  try {
    probe = yield* callActivity(context, 'probe', { at: context.df.currentUtcDateTime.toISOString() });
  } catch (err) {
    probe = {
      at: context.df.currentUtcDateTime.toISOString(),
      healthy: false,
      latencyMs: 0,
      failure: 'error',
      detail: errorMessage(err),
    };
  }
  const now = context.df.currentUtcDateTime;
  const d = decide(m.state, { type: 'probe', result: probe }, tick.policy, now);
  m = { ...m, state: d.state, lastCycle: { at: now.toISOString(), reason: d.reason } };
  for (const command of d.commands) m = yield* runCommand(context, m, command, cycle, outbox);

  // Every cycle, healthy or not: the primary's ARM may answer while its health check still fails.
  if (m.pendingFences.length && !m.activeOperation) m = yield* applyPendingFences(context, m, cycle, outbox);
  return m;
}

function* runCommand(
  context: df.OrchestrationContext,
  m: MonitorInput,
  command: MonitorCommand,
  cycle: number,
  outbox: NotificationInput[],
): Gen<MonitorInput> {
  const evidence = 'evidence' in command ? command.evidence : undefined;
  switch (command.type) {
    case 'alert-degraded':
      notify(context, outbox, m, EVENT_TYPES.healthDegraded, `degraded:${cycle}`, { evidence });
      return m;
    case 'failover-withheld':
      notify(context, outbox, m, EVENT_TYPES.failoverWithheld, `withheld:${cycle}`, {
        reason: command.reason,
        until: command.until,
        evidence,
      });
      return m;
    case 'health-recovered':
      notify(context, outbox, m, EVENT_TYPES.healthRecovered, `recovered:${cycle}`, {
        since: command.since,
        recentProbes: m.state.recentProbes.slice(-5),
      });
      return m;
    case 'primary-recovered':
      notify(context, outbox, m, EVENT_TYPES.primaryRecovered, `primary-recovered:${cycle}`, {
        since: command.since,
        recentProbes: m.state.recentProbes.slice(-5),
      });
      return m;
    case 'start-operation':
      if (command.trigger === 'manual') return m; // an operator's request: started in onOperationRequest
      return yield* startOperation(
        context,
        m,
        command.direction === 'failover'
          ? {
              direction: 'failover',
              kind: 'emergency',
              trigger: 'automatic',
              caller: {
                by: 'automatic',
                reason: `primary health check failed (${m.state.consecutiveFailures} in a row)`,
              },
              override: [],
            }
          : {
              direction: 'failback',
              kind: 'planned',
              trigger: 'automatic',
              caller: { by: 'automatic', reason: `primary healthy since ${command.healthySince}` },
              override: [],
            },
        command.evidence,
      );
    case 'pause-expired':
    case 'rejected': // answers to operator requests: handled in onOperationRequest
    case 'conflict':
      return m;
  }
}

/** Asks the referee (core/monitor.ts) and does what it says: answer, or start the operation. */
function* onOperationRequest(
  context: df.OrchestrationContext,
  m: MonitorInput,
  signal: Extract<Signal, { kind: 'request-operation' }>,
): Gen<MonitorInput> {
  const { request } = signal;
  if (!m.policy) return m; // checked in handleSignal
  const d = decide(
    m.state,
    {
      type: 'operation-requested',
      direction: request.direction,
      kind: request.kind,
      force: request.force === true,
      overrides: request.override.length > 0,
      ...(m.activeOperation
        ? {
            active: {
              operationId: m.activeOperation.operationId,
              direction: m.activeOperation.direction,
            },
          }
        : {}),
      ...(m.lastOperation?.outcome ? { lastOutcome: m.lastOperation.outcome } : {}),
    },
    m.policy,
    context.df.currentUtcDateTime,
  );
  const verdict = d.commands[0];
  if (verdict?.type === 'conflict')
    return answer(m, {
      id: signal.id,
      status: 'conflict',
      operationId: verdict.operationId,
      reason: verdict.reason,
    });
  if (verdict?.type !== 'start-operation')
    return answer(m, {
      id: signal.id,
      status: 'refused',
      reason: verdict?.type === 'rejected' ? verdict.reason : 'the monitor could not judge this request',
    });
  const started = yield* startOperation(
    context,
    { ...m, state: d.state },
    request,
    request.direction === 'failover' ? evidenceOf(m.state) : undefined,
  );
  return answer(started, {
    id: signal.id,
    status: 'accepted',
    operationId: started.activeOperation!.operationId,
  });
}

function evidenceOf(state: MonitorState) {
  return {
    firstFailureAt: state.firstFailureAt ?? '',
    consecutiveFailures: state.consecutiveFailures,
    recentProbes: state.recentProbes.slice(-5),
  };
}

function* startOperation(
  context: df.OrchestrationContext,
  m: MonitorInput,
  request: OperationInput['request'],
  evidence?: OperationInput['evidence'],
): Gen<MonitorInput> {
  const now = context.df.currentUtcDateTime;
  const seq = m.operationSeq + 1;
  const operationId = `${request.direction}-${seq}-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const input: OperationInput = {
    planId: m.planId,
    operationId,
    request,
    ...(evidence ? { evidence } : {}),
    ...(m.policy ? { policy: m.policy } : {}),
    ...(m.probeIntervalMs ? { probeIntervalMs: m.probeIntervalMs } : {}),
    requestedAt: now.toISOString(),
  };
  // The activity is idempotent on the instance id, so a retry never starts a second operation.
  yield* callActivity(context, 'startOperation', input, startRetry());
  return {
    ...m,
    operationSeq: seq,
    activeOperation: {
      operationId,
      direction: request.direction,
      trigger: request.trigger,
      startedAt: now.toISOString(),
    },
  };
}

function* applyPendingFences(
  context: df.OrchestrationContext,
  m: MonitorInput,
  cycle: number,
  outbox: NotificationInput[],
): Gen<MonitorInput> {
  let result: { applied: WorkflowTarget[]; pending: WorkflowTarget[]; errors: string[] };
  try {
    result = yield* callActivity(context, 'applyPendingFences', m.pendingFences);
  } catch {
    return m;
  }
  if (result.applied.length) {
    notify(context, outbox, m, EVENT_TYPES.fenceApplied, `fence:${cycle}`, {
      applied: result.applied.map((t) => t.label),
      stillPending: result.pending.map((t) => t.label),
      errors: result.errors,
    });
  }
  return { ...m, pendingFences: result.pending };
}
