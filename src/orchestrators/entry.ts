/**
 * One plan entry of an operation: its steps in order (a fence always before the activation it protects).
 * Never throws: every outcome, including a blocked activation, is reported in the EntryResult.
 */
import type * as df from 'durable-functions';
import { nextSlotBoundary } from '../core/schedule';
import { boundaryMarginMs } from '../core/actuation';
import { SAFETY_RULES } from '../core/safety';
import type { Direction, EntryPlan, PlannedAction } from '../core/planner';
import { type ApplyActionResult, type EntryResult, type StepResult } from '../durable/contracts';
import { errorMessage } from '../core/errors';
import { armRetry } from '../durable/retries';
import { callActivity } from '../durable/activity-calls';

export interface EntryInput {
  operationId: string;
  group: number;
  entry: EntryPlan;
  override: string[];
  direction: Direction;
  /** The check before the group found that this entry, once its steps are done, would run in both regions. */
  unsafe?: string;
}

/** The step deactivates the side that stops running (a fence, or standing the secondary down at failback). */
const isFence = (action: PlannedAction): boolean => action.op === 'disable';

export function* applyEntryOrchestrator(
  context: df.OrchestrationContext,
): Generator<df.Task, EntryResult, unknown> {
  const input = context.df.getInput<EntryInput>();
  const { entry } = input;
  const steps: StepResult[] = [];
  const now = () => context.df.currentUtcDateTime.toISOString();
  let fenceFailure: string | undefined;
  let blocked: string | undefined;
  let overrideUsed: string | undefined;

  // Refused when planned (its live trigger forbids its role): reported, and nothing of it runs.
  if (entry.blocked) return { entry: entry.entry, group: input.group, steps, blocked: entry.blocked };

  if (input.unsafe) {
    if (!input.override.includes(SAFETY_RULES.noDualActive)) {
      // Nothing of the entry runs, its deferred fences included: fencing later what never got activated here
      // would leave the workflow running nowhere.
      const reason = `not running ${entry.entry}: ${input.unsafe}. Fail over again (the new plan fences it first), or with override ["${SAFETY_RULES.noDualActive}"]`;
      return {
        entry: entry.entry,
        group: input.group,
        steps: entry.steps.map((action) => ({ action, status: 'blocked', at: now(), error: reason })),
        blocked: reason,
      };
    }
    overrideUsed = `${SAFETY_RULES.noDualActive}: ran ${entry.entry} although ${input.unsafe}`;
  }

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
    if (!isFence(action) && fenceFailure && entry.role !== 'active-active') {
      if (input.override.includes(SAFETY_RULES.noDualActive)) {
        overrideUsed ??= `${SAFETY_RULES.noDualActive}: activated ${action.target.label} although ${fenceFailure}`;
      } else {
        blocked = `not activating ${action.target.label}: ${fenceFailure}, so it could run in both regions. Fix the fence, or fail over again with override ["${SAFETY_RULES.noDualActive}"]`;
        steps.push({ action, status: 'blocked', at: now(), error: blocked });
        continue;
      }
    }
    let result: ApplyActionResult;
    try {
      result = yield* callActivity(
        context,
        'applyAction',
        { operationId: input.operationId, action },
        armRetry(),
      );
    } catch (err) {
      result = { ok: false, error: `gave up after retries: ${errorMessage(err)}` };
    }
    if (result.ok) {
      steps.push({ action, status: result.changed ? 'done' : 'noop', at: now() });
    } else {
      steps.push({ action, status: 'failed', at: now(), error: result.error });
      if (isFence(action)) fenceFailure = `the fence of ${action.target.label} failed (${result.error})`;
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
