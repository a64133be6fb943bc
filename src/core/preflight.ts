/**
 * The safety check just before a group runs: would an entry, once its own steps are done, run in both regions?
 * Every target an entry's steps write ends in the state those steps set (a fence that fails blocks the
 * activation it protects on its own); only targets no step writes now, fences deferred because their region
 * did not answer at planning, keep whatever state ARM reports for them now. Pure: states come in as a function.
 */
import type { Plan } from '../plan/schema';
import type { EntryPlan, WorkflowTarget } from './planner';
import { overlapViolations, type SafetyViolation, type StateOf } from './safety';
import { targetKey } from './refs';

const keyOf = (t: WorkflowTarget) => targetKey(t);

/** Targets of the entry that no step writes during this operation: its deferred (pending) fences. */
export function deferredTargets(entry: EntryPlan): WorkflowTarget[] {
  return entry.steps.filter((s) => s.op === 'pending-fence').map((s) => s.target);
}

/** The state of each target once the entry's steps are done, over `now` for what they leave alone. */
export function stateAfterSteps(entry: EntryPlan, now: StateOf): StateOf {
  const after = new Map<string, { state?: string; recurrence?: unknown }>();
  for (const step of entry.steps) {
    const k = keyOf(step.target);
    const seen = after.get(k) ?? {};
    if (step.op === 'enable') after.set(k, { ...seen, state: 'Enabled' });
    else if (step.op === 'disable') after.set(k, { ...seen, state: 'Disabled' });
    else if (step.op === 'set-recurrence') after.set(k, { ...seen, recurrence: step.recurrence });
    else if (step.op === 'missing') after.set(k, { state: 'Disabled' }); // Does not exist: runs nothing.
  }
  return (t) => {
    const set = after.get(keyOf(t));
    if (!set) return now(t);
    const recurrence = set.recurrence !== undefined ? { recurrence: set.recurrence } : {};
    if (set.state !== undefined) return { state: set.state, ...recurrence };
    // Only its recurrence is rewritten: it runs unless ARM says it is disabled (the cautious reading).
    const seen = now(t);
    return { state: seen === 'unknown' ? 'Enabled' : seen.state, ...recurrence };
  };
}

/** `no-dual-active` violations the entry would leave (or create) if it ran now. */
export function violationsAfterEntry(plan: Plan, entry: EntryPlan, now: StateOf): SafetyViolation[] {
  const workflow = plan.workflows.find((w) => w.name === entry.entry);
  if (!workflow) return [];
  return overlapViolations({ ...plan, workflows: [workflow] }, stateAfterSteps(entry, now));
}
