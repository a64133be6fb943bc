/**
 * Whether an entry's steps may run: the refusals of the entry sub-orchestration, as pure rules. An entry the
 * check before its group found unsafe runs nothing (unless overridden); a failed fence blocks the activations
 * after it (unless overridden, or the entry is active-active, where both regions running is the design).
 */
import type { EntryPlan, PlannedAction } from './planner';
import { SAFETY_RULES } from './safety';
import { deactivates } from './verify';

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
