/**
 * The safety check just before a group runs: would an entry, once its own steps are done, run in both regions?
 * Every target an entry's steps write ends in the state those steps set (core/verify.ts) (a fence that fails blocks the
 * activation it protects on its own); only targets no step writes now, fences deferred because their region
 * did not answer at planning, keep whatever state ARM reports for them now. Pure: states come in as a function.
 */
import type { Plan } from '../plan/schema';
import type { EntryPlan, WorkflowTarget } from './planner';
import { overlapViolations, type SafetyViolation, type StateOf } from './safety';
import { stateAfterSteps } from './verify';

/** Targets of the entry that no step writes during this operation: its deferred (pending) fences. */
export function deferredTargets(entry: EntryPlan): WorkflowTarget[] {
  return entry.steps.filter((s) => s.op === 'pending-fence').map((s) => s.target);
}

/** `no-dual-active` violations the entry would leave (or create) if it ran now. */
export function violationsAfterEntry(plan: Plan, entry: EntryPlan, now: StateOf): SafetyViolation[] {
  const workflow = plan.workflows.find((w) => w.name === entry.entry);
  if (!workflow) return [];
  return overlapViolations({ ...plan, workflows: [workflow] }, stateAfterSteps(entry, now));
}
