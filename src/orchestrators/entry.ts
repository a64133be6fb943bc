/**
 * One plan entry of an operation: its steps in order (a fence always before the activation it protects).
 * Never throws: every outcome, including a blocked activation, is reported in the EntryResult.
 */
import type * as df from 'durable-functions';
import { nextSlotBoundary } from '../core/schedule';
import { boundaryMarginMs } from '../core/actuation';
import { gateEntry, gateRouterStep, gateStep } from '../core/entry-gate';
import { deactivates } from '../core/verify';
import type { EntryPlan, PlannedAction } from '../core/planner';
import {
  type ApplyActionResult,
  type BatchActionResult,
  type BatchInput,
  type EntryInput,
  type EntryResult,
  type StepResult,
} from '../durable/contracts';
import { errorMessage } from '../core/errors';
import { ARM_ATTEMPTS, ARM_BACKOFF, armRetry, backoffMs } from '../durable/retries';
import { callActivity, type Gen } from '../durable/activity-calls';

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

/** Tries of one batched action whose failures are transient (as armRetry, with its pauses). */
const BATCH_ATTEMPTS = ARM_ATTEMPTS;

/**
 * Applies actions with applyActions, trying the transiently failed ones again (only those: what succeeded is
 * never written twice) after a durable pause, up to BATCH_ATTEMPTS tries.
 */
function* applyActionsBatch(
  context: df.OrchestrationContext,
  operationId: string,
  actions: PlannedAction[],
): Gen<Map<PlannedAction, ApplyActionResult>> {
  const out = new Map<PlannedAction, ApplyActionResult>();
  let todo = actions;
  for (let attempt = 1; todo.length > 0; attempt++) {
    let results: BatchActionResult[];
    try {
      results = yield* callActivity(context, 'applyActions', { operationId, actions: todo }, armRetry());
    } catch (err) {
      const error = `gave up after retries: ${errorMessage(err)}`;
      for (const a of todo) out.set(a, { ok: false, error });
      break;
    }
    const again: PlannedAction[] = [];
    todo.forEach((action, i) => {
      const r = results[i] ?? { ok: false, error: 'no result', transient: true };
      if ('transient' in r && attempt < BATCH_ATTEMPTS) again.push(action);
      else out.set(action, 'transient' in r ? { ok: false, error: `gave up after retries: ${r.error}` } : r);
    });
    if (again.length) {
      yield context.df.createTimer(
        new Date(context.df.currentUtcDateTime.getTime() + backoffMs(ARM_BACKOFF, attempt)),
      );
    }
    todo = again;
  }
  return out;
}

/**
 * Sub-orchestration: batched entries (see isBatchable) under the same step rules as their own sub-orchestration would apply: every
 * fence of the group in one batch, then the activations those rules still allow in a second one.
 */
export function* applyBatchOrchestrator(context: df.OrchestrationContext): Gen<EntryResult[]> {
  const { operationId, inputs } = context.df.getInput<BatchInput>();
  const out: EntryResult[] = [];
  const fences = yield* applyActionsBatch(
    context,
    operationId,
    inputs.flatMap((i) => i.entry.steps.filter(deactivates)),
  );
  const wanted: PlannedAction[] = [];
  for (const i of inputs)
    yield* runEntrySteps(context, i, (a) => {
      if (deactivates(a)) return fences.get(a)!;
      wanted.push(a);
      return { ok: true, changed: false };
    });
  const activations = yield* applyActionsBatch(context, operationId, wanted);
  for (const i of inputs)
    out.push(yield* runEntrySteps(context, i, (a) => (deactivates(a) ? fences : activations).get(a)!));
  return out;
}

export function* applyEntryOrchestrator(context: df.OrchestrationContext): Gen<EntryResult> {
  const input = context.df.getInput<EntryInput>();
  return yield* runEntrySteps(context, input, function* (action) {
    try {
      return yield* callActivity(
        context,
        'applyAction',
        { operationId: input.operationId, action },
        armRetry(),
      );
    } catch (err) {
      return { ok: false, error: `gave up after retries: ${errorMessage(err)}` };
    }
  });
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
): Gen<EntryResult> {
  const { entry } = input;
  const steps: StepResult[] = [];
  const now = () => context.df.currentUtcDateTime.toISOString();
  let fenceFailure: string | undefined;
  let blocked: string | undefined;
  let overrideUsed: string | undefined;

  const gate = gateEntry(entry, input.unsafe, input.override);
  if (!gate.run) {
    // Refused when planned: nothing to report per step. Unsafe: every step is reported blocked.
    const blockedSteps = entry.blocked
      ? []
      : entry.steps.map((action) => ({ action, status: 'blocked' as const, at: now(), error: gate.blocked }));
    return { entry: entry.entry, group: input.group, steps: blockedSteps, blocked: gate.blocked };
  }
  overrideUsed = gate.overrideUsed;

  if (entry.slotBoundary) {
    // Switch right after a slot has fired, so fence and activation both fall inside one inter-slot gap.
    const boundary = nextSlotBoundary(entry.slotBoundary, context.df.currentUtcDateTime);
    yield context.df.createTimer(
      new Date(boundary.at.getTime() + boundaryMarginMs(entry.slotBoundary.every)),
    );
  }

  for (const action of entry.steps) {
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
    const step = gateStep(entry, action, fenceFailure, input.override);
    if (!step.run) {
      blocked = step.blocked;
      steps.push({ action, status: 'blocked', at: now(), error: blocked });
      continue;
    }
    overrideUsed ??= step.overrideUsed;
    const applied = apply(action);
    const result = 'ok' in applied ? applied : yield* applied;
    if (result.ok) {
      steps.push({ action, status: result.changed ? 'done' : 'noop', at: now() });
    } else {
      steps.push({ action, status: 'failed', at: now(), error: result.error });
      if (deactivates(action)) fenceFailure = `the fence of ${action.target.label} failed (${result.error})`;
    }
  }
  return {
    entry: entry.entry,
    group: input.group,
    steps,
    ...(blocked ? { blocked } : {}),
    ...(overrideUsed ? { overrideUsed } : {}),
  };
}
