/**
 * Whether an entry's steps may run: the refusals of the entry sub-orchestration, as pure rules. An entry the
 * check before its group found unsafe runs nothing (unless overridden); a failed fence blocks the activations
 * after it (unless overridden, or the entry is active-active, where both regions running is the design).
 */
import type { EntryPlan, PlannedAction } from './planner';
import { SAFETY_RULES } from './safety';
import { deactivates } from './verify';
import { targetKey } from './refs';

export type Gate = { run: true; overrideUsed?: string } | { run: false; blocked: string };

const overridden = (override: readonly string[]) => override.includes(SAFETY_RULES.noDualActive);
const hint = `with override ["${SAFETY_RULES.noDualActive}"]`;

/** Before any step. `unsafe`: what the check before the group found (the entry would run in both regions). */
export function gateEntry(entry: EntryPlan, unsafe: string | undefined, override: readonly string[]): Gate {
  if (entry.blocked) return { run: false, blocked: entry.blocked }; // Refused when planned.
  if (!unsafe) return { run: true };
  if (overridden(override))
    return { run: true, overrideUsed: `${SAFETY_RULES.noDualActive}: ran ${entry.entry} although ${unsafe}` };
  // Nothing of the entry runs, its deferred fences included: fencing later what never got activated here
  // would leave the workflow running nowhere.
  return {
    run: false,
    blocked: `not running ${entry.entry}: ${unsafe}. Fail over again (the new plan fences it first), or ${hint}`,
  };
}

/** Before each step. `fenceFailure`: why an earlier fence of the entry failed, if one did. */
export function gateStep(
  entry: EntryPlan,
  action: PlannedAction,
  fenceFailure: string | undefined,
  override: readonly string[],
): Gate {
  if (deactivates(action) || !fenceFailure || entry.role === 'active-active') return { run: true };
  if (overridden(override))
    return {
      run: true,
      overrideUsed: `${SAFETY_RULES.noDualActive}: activated ${action.target.label} although ${fenceFailure}`,
    };
  return {
    run: false,
    blocked: `not activating ${action.target.label}: ${fenceFailure}, so it could run in both regions. Fix the fence, or fail over again ${hint}`,
  };
}

/** A step's outcome so far in the entry, as the router gate reads it. */
export interface StepSoFar {
  action: PlannedAction;
  status: string;
}

const RAN = new Set(['done', 'noop']);

/**
 * The router's rules, before each step: a switch runs only if no earlier step of the entry on the workflow it
 * routes to failed, was blocked or found it missing (callers are never sent to a disabled workflow); a step
 * after a switch that did not happen is blocked (at failback, disabling the secondary while callers are still
 * sent to it would route them nowhere). Not overridable: no safety rule is traded here, only callers.
 */
export function gateRouterStep(action: PlannedAction, earlier: readonly StepSoFar[]): Gate {
  if (action.op === 'switch-router') {
    const failed = earlier.find(
      (s) => targetKey(s.action.target) === targetKey(action.target) && !RAN.has(s.status),
    );
    if (failed)
      return {
        run: false,
        blocked: `not switching ${action.router.label} to ${action.target.label}: its ${failed.action.op} step is ${failed.status}, so callers would reach a workflow that is not enabled`,
      };
  }
  const unswitched = earlier.find(
    (s) => (s.action.op === 'switch-router' || s.action.op === 'pending-switch') && !RAN.has(s.status),
  );
  if (unswitched)
    return {
      run: false,
      blocked: `not running ${action.op} ${action.target.label}: the switch of ${'router' in unswitched.action ? unswitched.action.router.label : 'its router'} is ${unswitched.status}, and its callers are still sent where this step would stop`,
    };
  return { run: true };
}
