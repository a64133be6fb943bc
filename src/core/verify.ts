/**
 * What each planned step leaves behind, stated once. The planner marks a step a no-op when ARM already shows
 * it, the check before a group predicts the estate after an entry's steps from it, an entry counts a step as
 * a fence by it, and read-back compares ARM's answer with it. Pure.
 */
import type {
  EntryPlan,
  PlannedAction,
  RegionName,
  RouterSeen,
  StateOf,
  WorkflowTarget,
} from './operation-plan';
import type { Recurrence } from './recurrence';
import { targetKey } from './refs';
import { slotsFired } from './schedule';

/** The state a step leaves its target in. */
export type ExpectedState =
  | { state: 'Enabled' | 'Disabled' }
  /** Only the schedule is rewritten: the target keeps whatever state it has. */
  | { recurrence: Recurrence };

/** What ARM shows of a target (the parts a step can change). */
export interface SeenState {
  state?: string;
  recurrence?: unknown;
}

/** The split cadence an entry's recurrences are compared on (by the slots they fire, not by their text). */
export interface SlotSchedule {
  every: string;
  anchor: string;
}

/** undefined: the step writes nothing now (a fence deferred until its region answers again). */
export function expectedAfter(step: PlannedAction): ExpectedState | undefined {
  switch (step.op) {
    case 'enable':
      return { state: 'Enabled' };
    case 'disable':
      return { state: 'Disabled' };
    case 'set-recurrence':
      return { recurrence: step.recurrence };
    case 'missing':
      return { state: 'Disabled' }; // Does not exist: runs nothing.
    case 'pending-fence':
    case 'switch-router': // Changes the router, not the workflow (see unmetRouting).
    case 'pending-switch':
      return undefined;
  }
}

/**
 * Why the router does not send calls as a switch to `to` leaves it ("points at the primary, expected the
 * secondary"); undefined when it does, exactly (APIM with the current signature, the other endpoint disabled).
 */
export function unmetRouting(step: { to: RegionName }, seen: RouterSeen): string | undefined {
  if (seen.pointsAt === step.to && seen.exact) return undefined;
  const where = seen.pointsAt ? `the ${seen.pointsAt}` : 'neither region';
  return `sends calls to ${where} (${seen.detail}), expected the ${step.to} only`;
}

/**
 * The step stops its target running (a fence at failover, standing the secondary down at failback): a failure
 * of it blocks the activations after it in the entry.
 */
export function deactivates(step: PlannedAction): boolean {
  const after = expectedAfter(step);
  return step.op !== 'missing' && after !== undefined && 'state' in after && after.state === 'Disabled';
}

/**
 * The step protects what comes after it in the entry: it stops or narrows what the region giving the entry up
 * runs (a fence or a stand-down, or at failback the secondary's rewrite back to its half of the slots). What
 * the entry activates afterwards waits for it: a failure of it blocks those activations, in either direction.
 */
export function protects(step: PlannedAction): boolean {
  if (deactivates(step)) return true;
  return step.op === 'set-recurrence' && step.why === 'restore-split' && step.target.region === 'secondary';
}

/**
 * Why what ARM shows differs from what the step leaves, in words that follow the target's label ("is Disabled,
 * expected Enabled"); undefined when it matches. A recurrence without a schedule to compare on never matches.
 */
export function unmetExpectation(
  step: PlannedAction,
  seen: SeenState,
  schedule?: SlotSchedule,
): string | undefined {
  const want = expectedAfter(step);
  if (!want) return undefined;
  if ('state' in want)
    return seen.state === want.state ? undefined : `is ${seen.state}, expected ${want.state}`;
  const wanted = schedule ? slotsFired(want.recurrence, schedule) : undefined;
  const have = schedule ? slotsFired(seen.recurrence, schedule) : undefined;
  return wanted !== undefined && have !== undefined && wanted.join() === have.join()
    ? undefined
    : 'does not run the expected schedule slots';
}

/** The state of each target once the entry's steps are done, over `now` for what they leave alone. */
export function stateAfterSteps(entry: EntryPlan, now: StateOf): StateOf {
  const after = new Map<string, SeenState>();
  for (const step of entry.steps) {
    const want = expectedAfter(step);
    if (!want) continue;
    const k = targetKey(step.target);
    after.set(k, step.op === 'missing' ? want : { ...after.get(k), ...want });
  }
  return (t: WorkflowTarget) => {
    const set = after.get(targetKey(t));
    if (!set) return now(t);
    const recurrence = set.recurrence !== undefined ? { recurrence: set.recurrence } : {};
    if (set.state !== undefined) return { state: set.state, ...recurrence };
    // Only its recurrence is rewritten: it runs unless ARM says it is disabled (the cautious reading).
    const seen = now(t);
    return { state: seen === 'unknown' ? 'Enabled' : seen.state, ...recurrence };
  };
}
