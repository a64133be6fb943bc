/**
 * The monitor as one pure step: `step(record, input, now) → { record, effects, reason }`. Every decision the
 * monitor makes is here; the orchestrator (src/orchestrators/monitor.ts) only takes the signal, runs each
 * effect as an activity, feeds the result (or the failure) back through `step`, publishes and continues as new.
 *
 * Inputs are the signal of the execution and the results of the effects it asked for; effects are data:
 * probe, start an operation, ask an operation's status, apply pending fences, make pending switches, check
 * the estate for drift, notify. Answers to requests are
 * part of the record (the HTTP API reads them from the published record).
 */
import { DEFAULT_DRIFT_CHECK_CYCLES, driftChanges, type DriftCheck } from './drift';
import {
  decide,
  didItsWork,
  initialMonitorState,
  started as operationStarted,
  type Decision,
  type FailureEvidence,
  type MonitorCommand,
  type MonitorPolicy,
  type MonitorState,
} from './monitor';
import type {
  FencesApplied,
  MonitorRecord,
  OperationInput,
  OperationOutcome,
  OperationProgress,
  OperationRequest,
  OperationStop,
  PendingFence,
  ProbeActivityResult,
  RequestAnswer,
  RequestRecord,
  Signal,
  SwitchesApplied,
  StopRequest,
} from './monitor-record';
import {
  EVENT_TYPES,
  notificationOf,
  type EventType,
  type Notification,
  type NotificationData,
  type RegionPlaces,
  placedLabel,
} from './notifications';
import type { PendingSwitch, RegionName, WorkflowTarget } from './planner';
import { targetKey } from './refs';

export type MonitorEffect =
  | { type: 'probe'; at: string }
  /** Idempotent on the operation id: starting it again finds the instance the first start made. */
  | { type: 'start-operation'; input: OperationInput }
  | { type: 'operation-status'; planId: string; operationId: string }
  | { type: 'apply-switches'; switches: PendingSwitch[] }
  /** `during`: the running operation whose released fences these are (see MonitorRecord.operationFences). */
  | { type: 'apply-fences'; targets: WorkflowTarget[]; during?: string }
  /** Tells a running operation (and its entries) to stop at the next step boundary; idempotent. */
  | { type: 'cancel-operation'; planId: string; operationId: string; stop: OperationStop }
  /**
   * Read the workflows the last operation changed and hold them to what it left (core/drift.ts), with the
   * active region the rules judge against and the fences still pending (not drift: they have their own alert).
   */
  | { type: 'check-drift'; operationId: string; activeRegion: RegionName; pendingFences: string[] }
  | { type: 'notify'; notification: Notification }
  /** An operator's request and its answer, for the audit (GET /api/history?kind=requests). */
  | { type: 'record-request'; request: RequestRecord };

/**
 * An effect whose result comes back as an input (notifications go to the outbox and request records to the
 * audit: nothing comes back).
 */
export type ActiveEffect = Exclude<MonitorEffect, { type: 'notify' | 'record-request' }>;

export type MonitorStepInput =
  | { type: 'signal'; signal: Signal }
  | { type: 'probed'; result: ProbeActivityResult }
  | { type: 'operation-started'; operationId: string }
  | { type: 'operation-status'; operationId: string; progress: OperationProgress }
  | { type: 'fences-applied'; result: FencesApplied; during?: string }
  | { type: 'switches-applied'; result: SwitchesApplied }
  | { type: 'cancel-sent'; operationId: string }
  | { type: 'drift-checked'; result: DriftCheck }
  /** The effect's activity failed after its retries: a fact like any other, decided on here. */
  | { type: 'effect-failed'; effect: ActiveEffect; error: string };

export interface MonitorStep {
  record: MonitorRecord;
  /** In order; each result is fed back through `step` before the next effect runs. */
  effects: MonitorEffect[];
  /** What this step concluded and why, in one sentence (a probe cycle's is kept as `lastCycle`). */
  reason: string;
}

/**
 * How long an answer is kept: an Idempotency-Key repeated within it gets the first answer, and a queued
 * request's courier (src/orchestrators/request.ts) finds it there.
 */
export const ANSWER_TTL_MS = 24 * 3_600_000;
/**
 * Answers that started nothing (applied, refused, conflict) beyond this many are shed oldest first, so a storm
 * of requests cannot grow the record without bound. An answer that started an operation is never shed before
 * its TTL: repeating that key must never start a second operation.
 */
export const MAX_KEPT_ANSWERS = 500;

/** A new monitor's record: the watchdog has the plan, so the policy is there from the start. */
export function initialMonitorRecord(
  planId: string,
  policy: MonitorPolicy,
  probeIntervalMs: number,
  regions?: RegionPlaces,
): MonitorRecord {
  return {
    planId,
    state: initialMonitorState(),
    policy,
    probeIntervalMs,
    ...(regions ? { regions } : {}),
    pendingFences: [],
    pendingSwitches: [],
    answers: [],
    operationSeq: 0,
    executions: 0,
  };
}

/**
 * The record an execution starts from: its input, checked. A record without a policy was not started by the
 * watchdog: fail fast (the watchdog restarts a failed monitor with the plan's policy).
 */
export function monitorRecordOf(input: unknown): MonitorRecord {
  const record = input as Partial<MonitorRecord> | null | undefined;
  if (!record || typeof record !== 'object' || !record.state || !Array.isArray(record.answers))
    throw new Error(
      'the monitor was started without a record (planId, state, policy, answers): start it through the watchdog',
    );
  if (!record.policy)
    throw new Error(
      `the monitor record of plan ${record.planId ?? '(unknown)'} has no policy: the watchdog starts and restarts the monitor with the plan's policy`,
    );
  return record as MonitorRecord;
}

export function step(record: MonitorRecord, input: MonitorStepInput, now: Date): MonitorStep {
  switch (input.type) {
    case 'signal':
      return onSignal(record, input.signal, now);
    case 'probed':
      return onProbe(record, input.result, now);
    case 'operation-started':
      return started(record, input.operationId);
    case 'operation-status':
      return input.progress.finished
        ? finish(record, { operationId: input.operationId, ...input.progress }, now)
        : stillRuns(record, input.operationId, input.progress);
    case 'fences-applied':
      return fencesApplied(record, input.result, input.during, now);
    case 'switches-applied':
      return switchesApplied(record, input.result);
    case 'cancel-sent':
      return same(record, `${input.operationId} was told to stop at its next step boundary`);
    case 'drift-checked':
      return driftChecked(record, input.result, now);
    case 'effect-failed':
      return effectFailed(record, input.effect, input.error, now);
  }
}

const same = (record: MonitorRecord, reason: string): MonitorStep => ({ record, effects: [], reason });

function onSignal(record: MonitorRecord, signal: Signal, now: Date): MonitorStep {
  // A retried request: already answered (its answer stands, fingerprint included).
  if (signal.kind !== 'tick' && record.answers.some((a) => a.id === signal.id))
    return same(record, `${signal.id} was answered already`);
  const out = withRequestRecord(record, signal, dispatch(record, signal, now), now);
  // Only the request that got the answer stamps it: a repeat must not overwrite the first one's fingerprint.
  if (!('fingerprint' in signal) || !signal.fingerprint) return out;
  const { fingerprint } = signal;
  const answers = out.record.answers.map((a) => (a.id === signal.id ? { ...a, fingerprint } : a));
  return { ...out, record: { ...out.record, answers } };
}

function dispatch(record: MonitorRecord, signal: Signal, now: Date): MonitorStep {
  switch (signal.kind) {
    case 'tick':
      return onTick(record, signal, now);
    case 'pause':
    case 'resume':
      return onPauseOrResume(record, signal, now);
    case 'request-operation':
      return onRequest(record, signal, now);
    case 'cancel-operation':
      return onCancel(record, signal, now);
    case 'operation-finished':
      return finish(record, signal, now);
    default:
      // Not a signal this version knows: ignored, so the record survives to continueAsNew.
      return same(record, `unknown signal ${(signal as { kind?: unknown }).kind as string} ignored`);
  }
}

/** An operator's request the step just answered, as the audit keeps it (a tick or an operation's end: none). */
function withRequestRecord(before: MonitorRecord, signal: Signal, out: MonitorStep, now: Date): MonitorStep {
  if (
    signal.kind !== 'pause' &&
    signal.kind !== 'resume' &&
    signal.kind !== 'request-operation' &&
    signal.kind !== 'cancel-operation'
  )
    return out;
  const a = out.record.answers.find((x) => x.id === signal.id);
  if (!a) return out;
  const caller = signal.kind === 'request-operation' ? signal.request.caller : signal.caller;
  const pause = before.state.pause;
  const request: RequestRecord = {
    requestId: signal.id,
    planId: before.planId,
    request:
      signal.kind === 'request-operation'
        ? signal.request.direction
        : signal.kind === 'cancel-operation'
          ? 'cancel'
          : signal.kind,
    at: now.toISOString(),
    seq: before.executions,
    by: caller.by,
    reason: caller.reason,
    answer: a.status,
    ...('reason' in a ? { answerReason: a.reason } : {}),
    ...('operationId' in a ? { operationId: a.operationId } : {}),
    ...(signal.kind === 'pause' ? { until: signal.until } : {}),
    ...(signal.kind === 'resume' && a.status === 'applied' && pause && Date.parse(pause.until) > now.getTime()
      ? { endedPause: { until: pause.until, by: pause.by, reason: pause.reason } }
      : {}),
    ...(signal.kind === 'request-operation'
      ? {
          kind: signal.request.kind,
          override: signal.request.override,
          ...(signal.request.force ? { force: true } : {}),
        }
      : {}),
  };
  return { ...out, effects: [...out.effects, { type: 'record-request', request }] };
}

function answer(record: MonitorRecord, a: RequestAnswer, now: Date): MonitorRecord {
  const stamped: RequestAnswer = { ...a, at: now.toISOString() };
  return { ...record, answers: keptAnswers([...record.answers.filter((x) => x.id !== a.id), stamped], now) };
}

/** The answers still kept at `now`: by age (ANSWER_TTL_MS), then at most MAX_KEPT_ANSWERS that started nothing. */
export function keptAnswers(answers: RequestAnswer[], now: Date): RequestAnswer[] {
  const oldest = now.getTime() - ANSWER_TTL_MS;
  // An answer kept before answers carried their time is aged by the count bound alone.
  const fresh = answers.filter((a) => a.at === undefined || Date.parse(a.at) >= oldest);
  const sheddable = fresh.filter((a) => a.status !== 'accepted');
  const excess = sheddable.length - MAX_KEPT_ANSWERS;
  if (excess <= 0) return fresh.length === answers.length ? answers : fresh;
  const shed = new Set<RequestAnswer>(sheddable.slice(0, excess));
  return fresh.filter((a) => !shed.has(a));
}

/** A monitor notification: the monitor's mode, region, count and policy at the moment of the event. */
function notice<K extends EventType>(
  record: MonitorRecord,
  type: K,
  key: string,
  data: Omit<NotificationData[K], 'monitor'>,
  now: Date,
): MonitorEffect {
  const monitor = {
    mode: record.state.mode,
    activeRegion: record.state.activeRegion,
    consecutiveFailures: record.state.consecutiveFailures,
    policy: record.policy,
  };
  const notification = notificationOf(
    type,
    {
      planId: record.planId,
      correlationId: record.activeOperation?.operationId ?? `monitor-${record.planId}`,
      idParts: [record.planId, key],
      now,
      regions: record.regions,
    },
    { ...data, monitor } as NotificationData[K],
  );
  return { type: 'notify', notification };
}

/**
 * A pause that ran out by itself (the decision that noticed it dropped it): said as `monitor.resumed` by
 * `expiry`, like an operator's resume, so the event stream shows when the monitor acts on its own again. The
 * message id is the pause's end, so a repeat is one message.
 */
function expiryNotices(record: MonitorRecord, commands: MonitorCommand[], now: Date): MonitorEffect[] {
  return commands.flatMap((c): MonitorEffect[] => {
    if (c.type !== 'pause-expired') return [];
    const reason = `the pause until ${c.pause.until} by ${c.pause.by} (${c.pause.reason}) ran out`;
    // Said like an operator's resume, and kept in the requests history with who (expiry) and which pause.
    const request: RequestRecord = {
      requestId: `expired:${c.pause.until}:${c.pause.by}`,
      planId: record.planId,
      request: 'resume',
      at: now.toISOString(),
      seq: record.executions,
      by: 'expiry',
      reason,
      answer: 'applied',
      endedPause: { until: c.pause.until, by: c.pause.by, reason: c.pause.reason },
    };
    return [
      notice(
        record,
        EVENT_TYPES.resumed,
        `expired:${c.pause.until}`,
        { caller: { by: 'expiry', reason } },
        now,
      ),
      { type: 'record-request', request },
    ];
  });
}

/**
 * A tick: the policy and probe interval the watchdog read from the plan, then at most one probe per
 * probe-interval cycle of orchestration time (duplicate and late ticks change nothing else). Before the probe:
 * an operation whose start failed is started again, or one that has run longer than a probe interval is asked
 * whether it is over (its `operation-finished` signal may have been dropped at continueAsNew).
 */
function onTick(record0: MonitorRecord, tick: Extract<Signal, { kind: 'tick' }>, now: Date): MonitorStep {
  const { driftCheckCycles: _was, ...rest } = record0;
  let record: MonitorRecord = {
    ...rest,
    answers: keptAnswers(record0.answers, now),
    policy: tick.policy,
    probeIntervalMs: tick.probeIntervalMs,
    ...(tick.regions ? { regions: tick.regions } : {}),
    ...(tick.driftCheckCycles !== undefined ? { driftCheckCycles: tick.driftCheckCycles } : {}),
    lastTickAt: now.toISOString(),
    lastTickId: tick.id,
  };
  const cycle = Math.floor(now.getTime() / tick.probeIntervalMs);
  if (record.lastProbeCycle !== undefined && cycle <= record.lastProbeCycle)
    return same(record, `tick ${tick.id}: probe cycle ${cycle} has run already`);
  record = { ...record, lastProbeCycle: cycle };
  const effects: MonitorEffect[] = [];
  const active = record.activeOperation;
  const { stopping } = record;
  if (record.unstarted) effects.push({ type: 'start-operation', input: record.unstarted.input });
  // Being stopped: told again (the first word may have reached it before its entries began), and asked.
  if (active && stopping) effects.push(cancelEffect(record.planId, stopping));
  if (
    active &&
    !record.unstarted &&
    (stopping || now.getTime() - Date.parse(active.startedAt) > tick.probeIntervalMs)
  )
    effects.push({ type: 'operation-status', planId: record.planId, operationId: active.operationId });
  effects.push({ type: 'probe', at: now.toISOString() });
  return { record, effects, reason: `tick ${tick.id}: probe cycle ${cycle}` };
}

/** A probe's result (or a failed probe activity, as a failed probe): the decision core, then what it says. */
function onProbe(record0: MonitorRecord, probe: ProbeActivityResult, now: Date): MonitorStep {
  const d = decide(record0.state, { type: 'probe', result: probe }, record0.policy, now);
  const waiting = record0.unstarted;
  const reason = waiting
    ? `${d.reason}; the ${waiting.input.request.direction} ${waiting.input.operationId} could not be started yet (${waiting.failedAttempts} failed start(s), last: ${waiting.error}): it is started again next probe cycle`
    : d.reason;
  let record: MonitorRecord = {
    ...record0,
    state: d.state,
    lastCycle: { at: now.toISOString(), reason },
  };
  const cycle = record.lastProbeCycle ?? 0;
  const effects: MonitorEffect[] = [];
  for (const c of d.commands) {
    switch (c.type) {
      case 'alert-degraded':
        effects.push(
          notice(record, EVENT_TYPES.healthDegraded, `degraded:${cycle}`, { evidence: c.evidence }, now),
        );
        break;
      case 'failover-withheld':
        effects.push(
          notice(
            record,
            EVENT_TYPES.failoverWithheld,
            `withheld:${cycle}`,
            { reason: c.reason, until: c.until, evidence: c.evidence },
            now,
          ),
        );
        break;
      case 'health-recovered':
      case 'primary-recovered':
        effects.push(
          notice(
            record,
            c.type === 'health-recovered' ? EVENT_TYPES.healthRecovered : EVENT_TYPES.primaryRecovered,
            `${c.type === 'health-recovered' ? 'recovered' : 'primary-recovered'}:${cycle}`,
            { since: c.since, recentProbes: record.state.recentProbes.slice(-5) },
            now,
          ),
        );
        break;
      case 'start-operation': {
        const begun = begin(record, automaticRequest(record.state, c, record.policy), c.evidence, now);
        record = begun.record;
        effects.push(...begun.effects);
        break;
      }
      case 'pause-expired':
        effects.push(...expiryNotices(record, [c], now));
        break;
      case 'rejected':
      case 'conflict':
        break; // Answers to operator requests; a probe asks nothing that needs answering.
    }
  }
  // Every cycle, healthy or not: the primary's ARM may answer while its health check still fails. While an
  // operation runs, only the fences it released (entries it is done with): it owns the rest.
  const active = record.activeOperation;
  const released = record.operationFences;
  if (record.pendingFences.length && !active)
    effects.push({ type: 'apply-fences', targets: record.pendingFences });
  else if (active && released?.operationId === active.operationId && released.pending.length)
    effects.push({ type: 'apply-fences', targets: released.pending, during: active.operationId });
  // Likewise a switch whose router's ARM was silent; never while an operation runs (it owns the router then).
  if (record.pendingSwitches?.length && !record.activeOperation)
    effects.push({ type: 'apply-switches', switches: record.pendingSwitches });
  const drift = driftCheckDue(record, cycle);
  if (drift) {
    record = { ...record, lastDriftCheckCycle: cycle };
    effects.push(drift);
  }
  return { record, effects, reason };
}

/**
 * A drift check every `driftCheckCycles` probe cycles (the first one on the first cycle after an operation),
 * while the estate should stand as the last operation left it: failed over after a failover, monitoring after
 * a failback, no operation running. Not while degraded (the primary's ARM may not answer), not after an
 * operation that failed (it left nothing to hold the estate to), not before any operation.
 */
function driftCheckDue(record: MonitorRecord, cycle: number): MonitorEffect | undefined {
  const every = record.driftCheckCycles ?? DEFAULT_DRIFT_CHECK_CYCLES;
  const last = record.lastOperation;
  if (every <= 0 || !last || last.outcome === 'failed' || record.activeOperation || record.unstarted)
    return undefined;
  const { mode, activeRegion } = record.state;
  const settled =
    (mode === 'failed-over' && last.direction === 'failover') ||
    (mode === 'monitoring' && last.direction === 'failback');
  if (!settled) return undefined;
  if (record.lastDriftCheckCycle !== undefined && cycle - record.lastDriftCheckCycle < every)
    return undefined;
  return {
    type: 'check-drift',
    operationId: last.operationId,
    activeRegion,
    pendingFences: record.pendingFences.map(targetKey),
  };
}

/**
 * A drift check's findings: each new drift is notified once (`estate.drifted`), each drift no longer found is
 * notified cleared (`estate.drift-cleared`); a drift still there, or whose workflow could not be read, is kept
 * and said nothing about. A check of an operation that is no longer the last one changes nothing.
 */
function driftChecked(record: MonitorRecord, check: DriftCheck, now: Date): MonitorStep {
  if (record.activeOperation || record.lastOperation?.operationId !== check.operationId)
    return same(record, `the drift check of ${check.operationId} is out of date: ignored`);
  if (check.skipped) return same(record, `the estate was not checked for drift: ${check.skipped}`);
  const { raised, cleared, standing } = driftChanges(record.drift ?? [], check);
  const cycle = record.lastProbeCycle ?? 0;
  const next = { ...record, drift: standing };
  const facts = (d: (typeof standing)[number]) => ({
    operationId: check.operationId,
    entry: d.entry,
    workflow: d.workflow,
    region: d.region,
    rule: d.rule,
    message: d.message,
  });
  const effects = [
    ...raised.map((d) => notice(next, EVENT_TYPES.estateDrifted, `drift:${cycle}:${d.key}`, facts(d), now)),
    ...cleared.map((d) =>
      notice(next, EVENT_TYPES.driftCleared, `drift-cleared:${cycle}:${d.key}`, facts(d), now),
    ),
  ];
  const unread = check.unreadable.length ? `, ${check.unreadable.length} unreadable` : '';
  return {
    record: next,
    effects,
    reason: `${check.checked} workflow(s) checked against ${check.operationId}${unread}: ${standing.length} drifting (${raised.length} new, ${cleared.length} cleared)`,
  };
}

/** The request the monitor makes of itself when the core starts an operation on a probe. */
export function automaticRequest(
  state: MonitorState,
  command: { direction: 'failover' | 'failback'; healthySince?: string },
  policy?: Pick<MonitorPolicy, 'window'>,
): OperationRequest {
  return command.direction === 'failover'
    ? {
        direction: 'failover',
        kind: 'emergency',
        trigger: 'automatic',
        caller: {
          by: 'automatic',
          reason: failedWords(state, policy),
        },
        override: [],
      }
    : {
        direction: 'failback',
        kind: 'planned',
        trigger: 'automatic',
        caller: { by: 'automatic', reason: `primary healthy since ${command.healthySince}` },
        override: [],
      };
}

/** Why an automatic failover starts, as the policy counts: in a row, or within the window (window mode). */
function failedWords(state: MonitorState, policy: Pick<MonitorPolicy, 'window'> | undefined): string {
  if (!policy?.window) return `primary health check failed (${state.consecutiveFailures} in a row)`;
  const failed = state.recentOutcomes.filter(Boolean).length;
  return `primary health check failed: ${failed} of the last ${state.recentOutcomes.length} probes failed`;
}

/**
 * The evidence a manual failover carries: the current streak as the monitor sees it. Unlike the core's
 * automatic evidence, no failed probe means an empty `firstFailureAt` (not the last probe's time), so a
 * planned failover's RTO is measured from the request, and always the last 5 probes.
 */
export function manualEvidence(state: MonitorState): FailureEvidence {
  return {
    firstFailureAt: state.firstFailureAt ?? '',
    consecutiveFailures: state.consecutiveFailures,
    recentProbes: state.recentProbes.slice(-5),
  };
}

/**
 * The one place an operation begins: the decision has moved the state to failing-over or failing-back; this
 * gives the operation its id and makes it the record's active operation (the one answer to "does an operation
 * run"), and asks for its start.
 */
function begin(
  record: MonitorRecord,
  request: OperationRequest,
  evidence: FailureEvidence | undefined,
  now: Date,
): { record: MonitorRecord; effects: MonitorEffect[]; operationId: string } {
  const { input, operationId } = operationInput(record, request, evidence, now);
  return { ...activate({ ...record, operationSeq: record.operationSeq + 1 }, input), operationId };
}

/** The input of the next operation: its id (from the record's sequence), request, evidence and policy. */
function operationInput(
  record: MonitorRecord,
  request: OperationRequest,
  evidence: FailureEvidence | undefined,
  now: Date,
): { input: OperationInput; operationId: string } {
  const seq = record.operationSeq + 1;
  const at = now.toISOString();
  const operationId = `${request.direction}-${seq}-${at.replace(/[-:]/g, '').slice(0, 15)}`;
  const input: OperationInput = {
    planId: record.planId,
    operationId,
    request,
    ...(evidence ? { evidence } : {}),
    policy: record.policy,
    ...(record.probeIntervalMs ? { probeIntervalMs: record.probeIntervalMs } : {}),
    requestedAt: at,
    ...(record.regions ? { regions: record.regions } : {}),
  };
  return { input, operationId };
}

/** Makes the operation the record's active one and asks for its start. */
function activate(
  record: MonitorRecord,
  input: OperationInput,
): { record: MonitorRecord; effects: MonitorEffect[] } {
  const { operationId, request, requestedAt } = input;
  return {
    record: {
      ...record,
      activeOperation: {
        operationId,
        direction: request.direction,
        trigger: request.trigger,
        startedAt: requestedAt,
      },
    },
    // A failback holds every earlier fence while it runs, and a split entry first waits for its next slot
    // boundary: a primary copy still running its half (its fence pending since the failover) would run that
    // slot with the secondary, which covers every slot. So the pending fences are tried first, before the
    // failback plans (the entries keep running in the secondary until it moves them back).
    effects: [
      ...(request.direction === 'failback' && record.pendingFences.length
        ? [{ type: 'apply-fences' as const, targets: record.pendingFences }]
        : []),
      { type: 'start-operation', input },
    ],
  };
}

function started(record: MonitorRecord, operationId: string): MonitorStep {
  if (record.unstarted?.input.operationId !== operationId) return same(record, `${operationId} started`);
  const { unstarted: _started, ...rest } = record;
  return same(rest, `${operationId} started after ${record.unstarted.failedAttempts} failed start(s)`);
}

function onPauseOrResume(
  record: MonitorRecord,
  signal: Extract<Signal, { kind: 'pause' | 'resume' }>,
  now: Date,
): MonitorStep {
  const d = decide(
    record.state,
    signal.kind === 'pause'
      ? { type: 'pause', until: signal.until, reason: signal.caller.reason, by: signal.caller.by }
      : { type: 'resume', by: signal.caller.by },
    record.policy,
    now,
  );
  const rejected = d.commands.find((c) => c.type === 'rejected');
  if (rejected)
    return same(answer(record, { id: signal.id, status: 'refused', reason: rejected.reason }, now), d.reason);
  const next = answer({ ...record, state: d.state }, { id: signal.id, status: 'applied' }, now);
  const expired = expiryNotices(next, d.commands, now);
  const effect =
    signal.kind === 'pause'
      ? notice(
          next,
          EVENT_TYPES.paused,
          `pause:${signal.id}`,
          { caller: signal.caller, until: d.state.pause?.until },
          now,
        )
      : notice(next, EVENT_TYPES.resumed, `resume:${signal.id}`, { caller: signal.caller }, now);
  return { record: next, effects: [...expired, effect], reason: d.reason };
}

/** What the monitor answers an operation request now, before it does anything about it. */
export type Admission =
  | { status: 'accepted'; supersedes?: string }
  | { status: 'refused'; reason: string }
  | { status: 'conflict'; operationId: string; reason: string };

/**
 * The monitor's admission of a failover or failback request: one stop at a time, then the referee
 * (core/monitor.ts). onRequest acts on it; a dry run (the HTTP API) reads it from the published record, so a
 * preview is refused as the real request would be.
 */
export function admissionOf(
  record: MonitorRecord,
  request: OperationRequest,
  now: Date,
): { admission: Admission; decision?: Decision } {
  const active = record.activeOperation;
  // One stop at a time: the replacement already chosen starts once the stopped operation has ended.
  if (active && record.stopping)
    return {
      admission: {
        status: 'conflict',
        operationId: record.stopping.replacement?.operationId ?? active.operationId,
        reason: stoppingWords(active.operationId, record.stopping),
      },
    };
  const decision = decide(
    record.state,
    {
      type: 'operation-requested',
      direction: request.direction,
      kind: request.kind,
      force: request.force === true,
      overrides: request.override.length > 0,
      ...(active ? { active: { operationId: active.operationId, direction: active.direction } } : {}),
      ...(record.lastOperation?.outcome ? { lastOutcome: record.lastOperation.outcome } : {}),
    },
    record.policy,
    now,
  );
  // The verdict, whatever else the cycle noticed (an expired pause comes first).
  const verdict = decision.commands.find(
    (c) =>
      c.type === 'conflict' ||
      c.type === 'rejected' ||
      c.type === 'start-operation' ||
      c.type === 'supersede',
  );
  const admission: Admission =
    verdict?.type === 'supersede' && active
      ? { status: 'accepted', supersedes: active.operationId }
      : verdict?.type === 'conflict'
        ? { status: 'conflict', operationId: verdict.operationId, reason: verdict.reason }
        : verdict?.type === 'start-operation'
          ? { status: 'accepted' }
          : {
              status: 'refused',
              reason:
                verdict?.type === 'rejected' ? verdict.reason : 'the monitor could not judge this request',
            };
  return { admission, decision };
}

/** Asks for the admission and does what it says: answer, or start (or supersede) the operation and answer. */
function onRequest(
  record: MonitorRecord,
  signal: Extract<Signal, { kind: 'request-operation' }>,
  now: Date,
): MonitorStep {
  const { request } = signal;
  const { admission: a, decision: d } = admissionOf(record, request, now);
  if (a.status === 'accepted' && a.supersedes) return supersede(record, signal, a.supersedes, now);
  if (a.status !== 'accepted')
    return same(
      answer(record, { id: signal.id, ...a }, now),
      d?.reason ?? `request ${signal.id} refused: ${record.activeOperation?.operationId} is being stopped`,
    );
  // Accepted: the referee decided (only a stop in progress answers without it).
  const decided = d!;
  const begun = begin(
    { ...record, state: decided.state },
    request,
    request.direction === 'failover' ? manualEvidence(record.state) : undefined,
    now,
  );
  return {
    record: answer(begun.record, { id: signal.id, status: 'accepted', operationId: begun.operationId }, now),
    effects: [...expiryNotices(begun.record, decided.commands, now), ...begun.effects],
    reason: decided.reason,
  };
}

const stoppingWords = (operationId: string, stop: StopRequest): string =>
  stop.replacement
    ? `${operationId} is being superseded by ${stop.replacement.operationId} (asked by ${stop.caller.by} at ${stop.at}), which starts once it has stopped`
    : `${operationId} is being cancelled (asked by ${stop.caller.by} at ${stop.at})`;

const cancelEffect = (planId: string, stop: StopRequest): MonitorEffect => {
  const { operationId, replacement: _next, ...told } = stop;
  return { type: 'cancel-operation', planId, operationId, stop: told };
};

/** The stop is said at once (the operation's own completed notice says how it ended). */
function stopNotice(record: MonitorRecord, stop: StopRequest, requestId: string, now: Date): MonitorEffect {
  const active = record.activeOperation!;
  return notice(
    record,
    EVENT_TYPES.operationCancelled,
    `stop:${requestId}`,
    {
      operationId: stop.operationId,
      direction: active.direction,
      outcome: stop.outcome,
      caller: stop.caller,
      ...(stop.supersededBy ? { supersededBy: stop.supersededBy } : {}),
    },
    now,
  );
}

/**
 * A break-glass failover while an operation runs: the running one is told to stop at its next step boundary,
 * and the new one (its id given now, to answer the operator) starts when it has ended.
 */
function supersede(
  record: MonitorRecord,
  signal: Extract<Signal, { kind: 'request-operation' }>,
  runningId: string,
  now: Date,
): MonitorStep {
  const { request } = signal;
  const { input, operationId } = operationInput(record, request, manualEvidence(record.state), now);
  const stop: StopRequest = {
    operationId: runningId,
    outcome: 'superseded',
    caller: request.caller,
    at: now.toISOString(),
    supersededBy: operationId,
    replacement: input,
  };
  const next = answer(
    { ...record, operationSeq: record.operationSeq + 1, stopping: stop },
    { id: signal.id, status: 'accepted', operationId, supersedes: runningId },
    now,
  );
  return {
    record: next,
    effects: [cancelEffect(record.planId, stop), stopNotice(next, stop, signal.id, now)],
    reason: `${operationId} supersedes ${runningId} (asked by ${request.caller.by}: ${request.caller.reason}); it starts once ${runningId} has stopped`,
  };
}

/** An operator cancels the running operation: it is told to stop at its next step boundary. */
function onCancel(
  record: MonitorRecord,
  signal: Extract<Signal, { kind: 'cancel-operation' }>,
  now: Date,
): MonitorStep {
  const active = record.activeOperation;
  const refuse = (reason: string) =>
    same(answer(record, { id: signal.id, status: 'refused', reason }, now), `cancel refused: ${reason}`);
  if (!active || active.operationId !== signal.operationId) {
    const last = record.lastOperation;
    return refuse(
      last?.operationId === signal.operationId
        ? `${signal.operationId} is not running: it ended (${last.outcome ?? 'outcome unknown'}) at ${last.finishedAt ?? 'an unknown time'}`
        : `${signal.operationId} is not running${active ? ` (the running operation is ${active.operationId})` : ' (no operation runs)'}`,
    );
  }
  if (record.stopping)
    return same(
      answer(
        record,
        {
          id: signal.id,
          status: 'conflict',
          operationId: active.operationId,
          reason: stoppingWords(active.operationId, record.stopping),
        },
        now,
      ),
      `cancel of ${active.operationId}: it is being stopped already`,
    );
  const stop: StopRequest = {
    operationId: active.operationId,
    outcome: 'cancelled',
    caller: signal.caller,
    at: now.toISOString(),
  };
  const next = answer(
    { ...record, stopping: stop },
    { id: signal.id, status: 'accepted', operationId: active.operationId },
    now,
  );
  return {
    record: next,
    effects: [cancelEffect(record.planId, stop), stopNotice(next, stop, signal.id, now)],
    reason: `${active.operationId} is cancelled by ${signal.caller.by} (${signal.caller.reason}): it stops at its next step boundary`,
  };
}

/**
 * Frees the operation slot and keeps the fences the operation left pending. Reached by the operation's own
 * signal or by reconciliation (whichever comes first); the other then finds no such active operation.
 */
function finish(
  record: MonitorRecord,
  done: {
    operationId: string;
    outcome: OperationOutcome;
    pendingFences: WorkflowTarget[];
    pendingSwitches?: PendingSwitch[];
    failingRegions?: RegionName[];
  },
  now: Date,
): MonitorStep {
  const active = record.activeOperation;
  if (!active || active.operationId !== done.operationId)
    return same(record, `${done.operationId} finished, but it is not the active operation: nothing to do`);
  const event = active.direction === 'failover' ? 'failover-finished' : 'failback-finished';
  const d = decide(
    record.state,
    { type: event, operationId: done.operationId, outcome: done.outcome },
    record.policy,
    now,
  );
  // Fences applied while it ran are not handed over again.
  const appliedDuring = new Set(
    record.operationFences?.operationId === done.operationId ? record.operationFences.applied : [],
  );
  const left = done.pendingFences.filter((t) => !appliedDuring.has(targetKey(t)));
  const pendingFences =
    active.direction === 'failback' && didItsWork(done.outcome)
      ? []
      : mergeFences(record.pendingFences, left, active.startedAt);
  const to: RegionName = active.direction === 'failover' ? 'secondary' : 'primary';
  const pendingSwitches = mergeSwitches(
    record.pendingSwitches ?? [],
    done.pendingSwitches ?? [],
    done.outcome === 'failed' ? undefined : to,
  );
  // A new operation: the estate is held to what it left from now on, checked on the next cycle.
  const {
    activeOperation: _done,
    unstarted: _none,
    operationFences: _over,
    stopping,
    drift: _drift,
    lastDriftCheckCycle: _checked,
    ...rest
  } = record;
  const ended: MonitorRecord = {
    ...rest,
    state: d.state,
    lastOperation: { ...active, finishedAt: now.toISOString(), outcome: done.outcome },
    pendingFences,
    pendingSwitches,
  };
  const reason = `${active.direction} ${done.operationId} ${done.outcome}`;
  const next = stopping?.replacement;
  if (!next) return same(ended, `${reason}; the monitor is ${d.state.mode}`);
  // The replacement starts now, and does not try again the fences its predecessor found failing.
  const regions = [...new Set([...(next.knownFailing?.regions ?? []), ...(done.failingRegions ?? [])])];
  const input: OperationInput = {
    ...next,
    ...(regions.length ? { knownFailing: { regions, foundBy: done.operationId } } : {}),
  };
  const begun = activate(
    { ...ended, state: operationStarted(ended.state, next.request.direction, now) },
    input,
  );
  return {
    record: begun.record,
    effects: begun.effects,
    reason: `${reason}; ${next.operationId}, which supersedes it, starts now${regions.length ? ` (fences in ${regions.join(', ')} are not tried again)` : ''}`,
  };
}

/** The targets of `a`, then those of `b` that `a` does not have (same region and key). */
function mergeTargets<T extends WorkflowTarget>(a: T[], b: T[]): T[] {
  const seen = new Set(a.map(targetKey));
  return [...a, ...b.filter((t) => !seen.has(targetKey(t)))];
}

/** The fences still pending plus the operation's new ones, pending since the operation started. */
function mergeFences(a: PendingFence[], b: WorkflowTarget[], since: string): PendingFence[] {
  const added = b.map((t) => ({ ...t, since }));
  return mergeTargets(a, added);
}

/**
 * The switches still to make after an operation: its own, and the earlier ones of other routers (a router's
 * newer switch replaces its older one). Once an operation moved the estate to region `movedTo`, an earlier
 * switch towards the other region is dropped: it would send callers back to where this operation moved away from.
 */
function mergeSwitches(
  earlier: PendingSwitch[],
  added: PendingSwitch[],
  movedTo: RegionName | undefined,
): PendingSwitch[] {
  const replaced = new Set(added.map((s) => s.router.key));
  const kept = earlier.filter(
    (s) => !replaced.has(s.router.key) && (movedTo === undefined || s.to === movedTo),
  );
  return [...kept, ...added];
}

function switchesApplied(record: MonitorRecord, result: SwitchesApplied): MonitorStep {
  const label = (s: PendingSwitch) => `${s.router.label} -> ${s.target.label}`;
  const errors = result.errors.length ? ` (${result.errors.join('; ')})` : '';
  return same(
    { ...record, pendingSwitches: result.pending },
    `${result.applied.length} pending switch(es) made${result.applied.length ? `: ${result.applied.map(label).join(', ')}` : ''}, ${result.pending.length} still pending${errors}`,
  );
}

/**
 * The active operation still runs: the fences it released so far (entries it is done with) join those it
 * released before, minus those applied already; they are applied from this probe cycle on.
 */
function stillRuns(
  record: MonitorRecord,
  operationId: string,
  progress: Extract<OperationProgress, { finished: false }>,
): MonitorStep {
  const runs = `${operationId} still runs (${progress.runtimeStatus ?? 'no status yet'})`;
  const released = progress.pendingFences ?? [];
  if (record.activeOperation?.operationId !== operationId || !released.length) return same(record, runs);
  const before =
    record.operationFences?.operationId === operationId
      ? record.operationFences
      : { operationId, pending: [], applied: [] };
  const applied = new Set(before.applied);
  const pending = mergeTargets(
    before.pending,
    released.filter((t) => !applied.has(targetKey(t))),
  );
  return same(
    { ...record, operationFences: { ...before, pending } },
    `${runs}; ${pending.length} fence(s) it left pending are applied while it runs`,
  );
}

function fencesApplied(
  record: MonitorRecord,
  result: FencesApplied,
  during: string | undefined,
  now: Date,
): MonitorStep {
  // Each fence keeps the time it went pending (the activity returns targets; the record knows since when).
  const since = new Map(record.pendingFences.map((f) => [targetKey(f), f.since]));
  const pending = result.pending.map(({ since: _s, ...t }: PendingFence): PendingFence => {
    const was = since.get(targetKey(t));
    return was ? { ...t, since: was } : { ...t, since: now.toISOString() };
  });
  const effects = result.applied.length
    ? [
        notice(
          record,
          EVENT_TYPES.fenceApplied,
          `fence:${record.lastProbeCycle ?? 0}`,
          {
            applied: result.applied.map((t) => placedLabel(t, record.regions)),
            stillPending: result.pending.map((t) => placedLabel(t, record.regions)),
            errors: result.errors,
          },
          now,
        ),
      ]
    : [];
  const released = record.operationFences;
  const next: MonitorRecord =
    during === undefined
      ? { ...record, pendingFences: pending }
      : released?.operationId === during
        ? {
            ...record,
            operationFences: {
              operationId: during,
              pending: result.pending,
              applied: [...released.applied, ...result.applied.map(targetKey)],
            },
          }
        : record;
  return {
    record: next,
    effects,
    reason: `${result.applied.length} pending fence(s) applied, ${result.pending.length} still pending`,
  };
}

/**
 * An effect's activity failed after its retries. A probe that could not run is a failed probe; a start that
 * failed keeps the operation active and is tried again next cycle (the monitor stays alive); a status or
 * fence application that failed changes nothing and is asked again next cycle.
 */
function effectFailed(record: MonitorRecord, effect: ActiveEffect, error: string, now: Date): MonitorStep {
  switch (effect.type) {
    case 'probe':
      return onProbe(
        record,
        { at: now.toISOString(), healthy: false, latencyMs: 0, failure: 'error', detail: error },
        now,
      );
    case 'start-operation': {
      const { operationId, request } = effect.input;
      const failedAttempts = (record.unstarted?.failedAttempts ?? 0) + 1;
      const reason = `the ${request.direction} ${operationId} could not be started (${error}): it is started again next probe cycle`;
      return same(
        {
          ...record,
          unstarted: { input: effect.input, failedAttempts, error, at: now.toISOString() },
          lastCycle: { at: now.toISOString(), reason },
        },
        reason,
      );
    }
    case 'operation-status':
      return same(
        record,
        `the status of ${effect.operationId} could not be read (${error}): asked again next cycle`,
      );
    case 'apply-fences':
      return same(record, `pending fences could not be applied (${error}): tried again next cycle`);
    case 'apply-switches':
      return same(record, `pending switches could not be made (${error}): tried again next cycle`);
    case 'cancel-operation':
      return same(
        record,
        `${effect.operationId} could not be told to stop (${error}): told again next probe cycle`,
      );
    case 'check-drift':
      return same(
        record,
        `the estate could not be checked for drift (${error}): checked again in ${record.driftCheckCycles ?? DEFAULT_DRIFT_CHECK_CYCLES} cycles`,
      );
  }
}
