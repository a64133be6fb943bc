/**
 * One plan entry of an operation: its steps in order (a fence always before the activation it protects).
 * Never throws: every outcome, including a blocked activation, is reported in the EntryResult.
 */
import type * as df from 'durable-functions';
import { nextSlotBoundary } from '../core/schedule';
import { boundaryMarginMs } from '../core/actuation';
import {
  compensation,
  GAVE_UP,
  gateEntry,
  gateRouterStep,
  gateStep,
  heldAfterCompensation,
  knownFailingFence,
  stoppedWords,
} from '../core/entry-gate';
import { protects } from '../core/verify';
import type { EntryPlan, PlannedAction } from '../core/planner';
import {
  type ApplyActionResult,
  type BatchActionResult,
  type BatchInput,
  type EntryInput,
  type EntryResult,
  type OperationStop,
  type StepResult,
} from '../durable/contracts';
import { errorMessage } from '../core/errors';
import { EVENT_TYPES, notificationOf, placedLabel, type Notification } from '../core/notifications';
import {
  armRetry,
  DEFAULT_FENCE_BUDGET_MS,
  MAX_WRITE_ATTEMPTS,
  WRITE_RETRY_WINDOW_MS,
  writeRetryPauseMs,
} from '../durable/retries';
import { callActivity, traced, type Gen } from '../durable/activity-calls';
import { queueNotifications } from './notify';
import { pauseUnlessStopped, type StopWatch } from './stop';

// The sub-orchestrations' inputs are durable contracts (typed calls: activity-calls.ts subOrchestrationTask).
export type { BatchInput, EntryInput } from '../durable/contracts';

/**
 * Entries whose steps are only disables and enables, every disable before every enable, with no slot boundary
 * to wait for and nothing refused: the operation applies these batched with the rest of their group (all
 * fences in one activity, then all activations in one), through the same step rules (runEntrySteps).
 */
export function isBatchable(entry: EntryPlan, unsafe: boolean): boolean {
  if (entry.blocked || unsafe || entry.slotBoundary) return false;
  let activated = false;
  for (const action of entry.steps) {
    if (action.op === 'enable') activated = true;
    else if (action.op === 'disable') {
      if (activated) return false;
    } else if (action.op !== 'missing' && action.op !== 'pending-fence') return false;
  }
  return true;
}

/**
 * When the fences of this entry give up: their budget from now, or now for a region whose fences already ran
 * out of budget in this operation (tried once: waiting again would only delay the break-glass).
 */
function fenceDeadline(
  context: df.OrchestrationContext,
  input: Pick<EntryInput, 'fenceBudgetMs' | 'failingRegions'>,
): (action: PlannedAction) => number {
  const now = context.df.currentUtcDateTime.getTime();
  const budget = input.fenceBudgetMs ?? DEFAULT_FENCE_BUDGET_MS;
  return (action) => (input.failingRegions?.includes(action.target.region) ? now : now + budget);
}

const giveUpWords = (deadline: number | undefined) =>
  deadline === undefined ? `${GAVE_UP} after retries` : `${GAVE_UP}: the fence budget ran out`;

/** A fence given up because an operator stopped the operation while it was being retried. */
const stoppedFence = (stop: OperationStop, error: string) =>
  `${GAVE_UP}: ${stoppedWords(stop)}, while retrying: ${error}`;

/** Whether a transiently failed write is tried again: within its deadline, and within the retry window. */
const tryAgain = (attempt: number, started: number, now: number, deadline: number | undefined) =>
  (deadline === undefined || now < deadline) &&
  now - started < WRITE_RETRY_WINDOW_MS &&
  attempt < MAX_WRITE_ATTEMPTS;

/** Whose actions these are, and the span (the operation's group) their activities run under. */
type OperationCall = Pick<BatchInput, 'operationId' | 'traceContext'>;

/**
 * Applies actions with applyActions, trying the transiently failed ones again (only those: what succeeded is
 * never written twice) after a durable pause (ARM's Retry-After when it sent one), for armRetry's window, and
 * for fences not past their deadline (the fence budget). With `watch` (fences only), an operator's stop ends
 * the retries: the fences still failing are given up.
 */
function* applyActionsBatch(
  context: df.OrchestrationContext,
  { operationId, traceContext }: OperationCall,
  actions: PlannedAction[],
  deadlineOf: (action: PlannedAction) => number | undefined = () => undefined,
  watch?: StopWatch,
): Gen<Map<PlannedAction, ApplyActionResult>> {
  const out = new Map<PlannedAction, ApplyActionResult>();
  const started = context.df.currentUtcDateTime.getTime();
  let todo = actions;
  for (let attempt = 1; todo.length > 0; attempt++) {
    let results: BatchActionResult[];
    try {
      results = yield* callActivity(
        context,
        'applyActions',
        traced({ operationId, actions: todo }, traceContext),
        armRetry(),
      );
    } catch (err) {
      const error = `${GAVE_UP} after retries: ${errorMessage(err)}`;
      for (const a of todo) out.set(a, { ok: false, error });
      break;
    }
    const now = context.df.currentUtcDateTime.getTime();
    const again: PlannedAction[] = [];
    const retryAfter: number[] = [];
    todo.forEach((action, i) => {
      const r = results[i] ?? { ok: false, error: 'no result', transient: true };
      const deadline = deadlineOf(action);
      if ('transient' in r && tryAgain(attempt, started, now, deadline)) {
        again.push(action);
        if (r.retryAfterMs !== undefined) retryAfter.push(r.retryAfterMs);
      } else
        out.set(action, 'transient' in r ? { ok: false, error: `${giveUpWords(deadline)}: ${r.error}` } : r);
    });
    if (again.length) {
      // As long as the longest Retry-After asked, and never past the earliest deadline among them.
      const deadlines = again.map(deadlineOf).filter((d): d is number => d !== undefined);
      const asked = retryAfter.length ? Math.max(...retryAfter) : undefined;
      const pause = writeRetryPauseMs(
        attempt,
        asked,
        now,
        deadlines.length ? Math.min(...deadlines) : undefined,
      );
      const until = new Date(now + pause);
      const stop = watch ? yield* pauseUnlessStopped(context, watch, until) : undefined;
      if (!watch) yield context.df.createTimer(until);
      if (stop) {
        for (const a of again) {
          const r = results[todo.indexOf(a)];
          out.set(a, { ok: false, error: stoppedFence(stop, r && 'error' in r ? r.error : 'no result') });
        }
        break;
      }
    }
    todo = again;
  }
  return out;
}

/**
 * One action, tried again on transient failures after a durable pause (ARM's Retry-After when it sent one),
 * for armRetry's window and, for a fence, never past its deadline (the fence budget).
 */
function* applyOne(
  context: df.OrchestrationContext,
  { operationId, traceContext }: OperationCall,
  action: PlannedAction,
  deadline?: number,
  watch?: StopWatch,
): Gen<ApplyActionResult> {
  const started = context.df.currentUtcDateTime.getTime();
  for (let attempt = 1; ; attempt++) {
    let result: BatchActionResult;
    try {
      result = yield* callActivity(context, 'applyAction', traced({ operationId, action }, traceContext));
    } catch (err) {
      result = { ok: false, error: errorMessage(err), transient: true };
    }
    if (!('transient' in result)) return result;
    const now = context.df.currentUtcDateTime.getTime();
    if (!tryAgain(attempt, started, now, deadline))
      return {
        ok: false,
        error: `${giveUpWords(deadline !== undefined && now >= deadline ? deadline : undefined)}: ${result.error}`,
      };
    const until = new Date(now + writeRetryPauseMs(attempt, result.retryAfterMs, now, deadline));
    if (!watch) {
      yield context.df.createTimer(until);
      continue;
    }
    // A fence: an operator's stop ends its retries (never an activation's: what was fenced must be replaced).
    const stop = yield* pauseUnlessStopped(context, watch, until);
    if (stop) return { ok: false, error: stoppedFence(stop, result.error) };
  }
}

/**
 * The result of an entry its gate refuses before any step (held when planned, or found unsafe by the check
 * before its group without an override): known before it runs, so the operation says it for all of them at once.
 */
export function refusedResult(
  input: Pick<EntryInput, 'entry' | 'group' | 'unsafe' | 'override'>,
  at: string,
): EntryResult | undefined {
  const gate = gateEntry(input.entry, input.unsafe, input.override);
  return gate.run ? undefined : refused(input, gate.blocked, at);
}

function refused(input: Pick<EntryInput, 'entry' | 'group'>, blocked: string, at: string): EntryResult {
  const { entry } = input;
  // Refused when planned: nothing to report per step. Unsafe: every step is reported blocked.
  const steps = entry.blocked
    ? []
    : entry.steps.map((action) => ({ action, status: 'blocked' as const, at, error: blocked }));
  return { entry: entry.entry, group: input.group, steps, blocked };
}

/**
 * One `activation.blocked` notice for entries held or blocked together (whatever their groups): one page for
 * them, not one per entry. Undefined when there are none.
 */
export function blockedNotice(
  inputs: readonly EntryInput[],
  results: readonly EntryResult[],
  now: Date,
): Notification | undefined {
  const blocked = results.filter((r) => r.blocked);
  const first = inputs[0];
  if (!blocked.length || !first?.planId) return undefined;
  return notificationOf(
    EVENT_TYPES.activationBlocked,
    {
      planId: first.planId,
      correlationId: first.operationId,
      idParts: [first.operationId, `blocked:${blocked.map((r) => `g${r.group}:${r.entry}`).join(',')}`],
      now,
      regions: first.regions,
    },
    {
      operationId: first.operationId,
      direction: first.direction,
      entries: blocked.map((r) => {
        const input = inputs.find((i) => i.entry.entry === r.entry);
        return {
          entry: r.entry,
          group: r.group,
          reason: r.blocked ?? '',
          ...(input?.entry.held ? { held: input.entry.held } : {}),
          steps: r.steps.map(
            (st) => `${st.action.op} ${placedLabel(st.action.target, first.regions)}: ${st.status}`,
          ),
        };
      }),
    },
  );
}

/**
 * The `activation.blocked` notice of entries blocked while they ran, handed to the outbox the moment they are
 * (not when the operation completes): an operator deciding on break-glass needs it now. Entries refused before
 * any step are left out: the operation said those already, all in one notice (refusedResult).
 */
function* noticeBlocked(
  context: df.OrchestrationContext,
  inputs: readonly EntryInput[],
  results: readonly EntryResult[],
): Gen<void> {
  const at = context.df.currentUtcDateTime;
  const refused = new Set(inputs.filter((i) => refusedResult(i, at.toISOString())).map((i) => i.entry.entry));
  const notice = blockedNotice(
    inputs,
    results.filter((r) => !refused.has(r.entry)),
    at,
  );
  if (notice) yield* queueNotifications(context, [notice]);
}

/**
 * Sub-orchestration: batched entries (see isBatchable) under the same step rules as their own sub-orchestration would apply: every
 * fence of the group in one batch, then the activations those rules still allow in a second one.
 */
export function* applyBatchOrchestrator(context: df.OrchestrationContext): Gen<EntryResult[]> {
  const { inputs, ...call } = context.df.getInput<BatchInput>();
  const out: EntryResult[] = [];
  const deadlines = new Map<PlannedAction, number>();
  for (const i of inputs) {
    const deadlineOf = fenceDeadline(context, i);
    // A fence known failing is not tried (runEntrySteps leaves it pending before it would be applied).
    for (const a of i.entry.steps.filter((x) => protects(x) && !knownFailingFence(x, i.knownFailing)))
      deadlines.set(a, deadlineOf(a));
  }
  const watch: StopWatch = {};
  const fences = yield* applyActionsBatch(
    context,
    call,
    [...deadlines.keys()],
    (a) => deadlines.get(a),
    watch,
  );
  // The same step rules three times over: which activations the fences allow, then which compensations
  // (failback) the activations call for, then the results. (A compensation a failed stand-down calls for is
  // met in the first pass already, and applied with the activations: after the fences, as it must be.)
  const wanted: PlannedAction[] = [];
  for (const i of inputs)
    yield* runEntrySteps(context, i, (a) => {
      if (protects(a)) return fences.get(a)!;
      wanted.push(a);
      return { ok: true, changed: false };
    });
  const activations = yield* applyActionsBatch(context, call, wanted);
  const undo: PlannedAction[] = [];
  for (const i of inputs)
    yield* runEntrySteps(context, i, (a) => {
      const r = (protects(a) ? fences : activations).get(a);
      if (r) return r;
      undo.push(a);
      return { ok: true, changed: true };
    });
  const undone = yield* applyActionsBatch(context, call, undo);
  for (const i of inputs)
    out.push(
      yield* runEntrySteps(context, i, (a) => (protects(a) ? fences : activations).get(a) ?? undone.get(a)!),
    );
  yield* noticeBlocked(context, inputs, out);
  return out;
}

export function* applyEntryOrchestrator(context: df.OrchestrationContext): Gen<EntryResult> {
  const input = context.df.getInput<EntryInput>();
  let deadlineOf: ((action: PlannedAction) => number) | undefined;
  const watch: StopWatch = {};
  const apply = function* (action: PlannedAction): Gen<ApplyActionResult> {
    if (!protects(action)) return yield* applyOne(context, input, action);
    // Set at the first fence, after any slot boundary the entry waited for.
    deadlineOf ??= fenceDeadline(context, input);
    return yield* applyOne(context, input, action, deadlineOf(action), watch);
  };
  const result = yield* runEntrySteps(context, input, apply, watch);
  yield* noticeBlocked(context, [input], [result]);
  return result;
}

/**
 * An entry's steps in order, with its rules: a failed fence blocks the activations after it (unless
 * overridden or active-active). `apply` performs one action: an activity here, a batch's result for
 * batched entries (see isBatchable).
 */
export function* runEntrySteps(
  context: df.OrchestrationContext,
  input: EntryInput,
  apply: (action: PlannedAction) => Gen<ApplyActionResult> | ApplyActionResult,
  watch?: StopWatch,
): Gen<EntryResult> {
  const { entry } = input;
  const steps: StepResult[] = [];
  const now = () => context.df.currentUtcDateTime.toISOString();
  let fenceFailure: string | undefined;
  let blocked: string | undefined;
  let overrideUsed: string | undefined;
  // Set once a failback's activation failed and the secondary's copy was put back: nothing more runs.
  let held: string | undefined;

  const gate = gateEntry(entry, input.unsafe, input.override);
  if (!gate.run) return refused(input, gate.blocked, now());
  overrideUsed = gate.overrideUsed;

  if (entry.slotBoundary) {
    // Switch right after a slot has fired, so fence and activation both fall inside one inter-slot gap.
    const boundary = nextSlotBoundary(entry.slotBoundary, context.df.currentUtcDateTime);
    const until = new Date(boundary.at.getTime() + boundaryMarginMs(entry.slotBoundary.every));
    const stop = watch ? yield* pauseUnlessStopped(context, watch, until) : undefined;
    if (!watch) yield context.df.createTimer(until);
    if (stop) {
      // Stopped while waiting for its slot: nothing of the entry ran, and nothing will.
      const error = `not run: ${stoppedWords(stop)} before its slot boundary`;
      return {
        entry: entry.entry,
        group: input.group,
        steps: entry.steps.map((action) => ({ action, status: 'blocked' as const, at: now(), error })),
        blocked: error,
      };
    }
  }

  // At failback, an activation of the primary that did not happen (failed, or blocked by a failed stand-down)
  // must not leave the entry running nowhere: what this operation stopped in the secondary is put back, at once,
  // and nothing more of the entry runs.
  function* putBack(failure: string): Gen<void> {
    if (input.direction !== 'failback') return;
    const undone: { action: PlannedAction; ok: boolean; error?: string }[] = [];
    for (const undo of compensation(entry, steps)) {
      const applied = apply(undo);
      const r = 'ok' in applied ? applied : yield* applied;
      undone.push({ action: undo, ok: r.ok, ...(r.ok ? {} : { error: r.error }) });
      steps.push({
        action: undo,
        status: r.ok ? (r.changed ? 'done' : 'noop') : 'failed',
        at: now(),
        ...(r.ok ? {} : { error: r.error }),
      });
    }
    if (undone.length) held = heldAfterCompensation(entry, failure, undone);
  }

  for (const action of entry.steps) {
    if (held) {
      steps.push({ action, status: 'blocked', at: now(), error: held });
      continue;
    }
    if (action.op === 'missing') {
      steps.push({ action, status: 'missing', at: now(), error: `${action.target.label} does not exist` });
      continue;
    }
    if (action.op === 'pending-fence') {
      steps.push({ action, status: 'pending-fence', at: now() });
      continue;
    }
    const routed = gateRouterStep(action, steps);
    if (!routed.run) {
      blocked = routed.blocked;
      steps.push({ action, status: 'blocked', at: now(), error: blocked });
      continue;
    }
    if (action.op === 'pending-switch') {
      const error = `its router's ARM did not answer at planning (${action.error}); callers are still sent where they were`;
      steps.push({ action, status: 'pending-switch', at: now(), error });
      continue;
    }
    const known = knownFailingFence(action, input.knownFailing);
    if (known) {
      steps.push({ action, status: 'pending-fence', at: now(), error: known });
      fenceFailure = `the fence of ${action.target.label} was ${known}`;
      continue;
    }
    const step = gateStep(entry, action, fenceFailure, input.override);
    if (!step.run) {
      blocked = step.blocked;
      steps.push({ action, status: 'blocked', at: now(), error: blocked });
      yield* putBack(`${action.target.label} was not activated (${fenceFailure ?? 'blocked'})`);
      continue;
    }
    overrideUsed ??= step.overrideUsed;
    const applied = apply(action);
    const result = 'ok' in applied ? applied : yield* applied;
    if (result.ok) {
      steps.push({ action, status: result.changed ? 'done' : 'noop', at: now() });
    } else {
      steps.push({ action, status: 'failed', at: now(), error: result.error });
      if (protects(action)) fenceFailure = `the fence of ${action.target.label} failed (${result.error})`;
      else yield* putBack(`${action.target.label} failed (${result.error})`);
    }
  }
  return {
    entry: entry.entry,
    group: input.group,
    steps,
    ...(held || blocked ? { blocked: held ?? blocked } : {}),
    ...(overrideUsed ? { overrideUsed } : {}),
  };
}
