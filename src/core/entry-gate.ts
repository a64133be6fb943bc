/**
 * Whether an entry's steps may run: the refusals of the entry sub-orchestration, as pure rules. An entry the
 * check before its group found unsafe runs nothing (unless overridden); a failed fence blocks the activations
 * after it (unless overridden, or the entry is active-active, where both regions running is the design).
 */
import type { EntryPlan, PendingSwitch, PlannedAction, RegionName, WorkflowTarget } from './planner';
import { SAFETY_RULES } from './safety';
import { protects } from './verify';
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

/**
 * Before each step. `fenceFailure`: why an earlier protective step of the entry (a fence, a stand-down, the
 * secondary's rewrite back to its half at failback) failed, if one did.
 */
export function gateStep(
  entry: EntryPlan,
  action: PlannedAction,
  fenceFailure: string | undefined,
  override: readonly string[],
): Gate {
  if (protects(action) || !fenceFailure || entry.role === 'active-active') return { run: true };
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
  // A pending switch too: the monitor makes it later, so it must not be left after an activation that failed.
  if (action.op === 'switch-router' || action.op === 'pending-switch') {
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

/** One step's outcome as the operation records it (the parts these rules read). */
export interface StepOutcome {
  action: PlannedAction;
  status: 'done' | 'noop' | 'pending-fence' | 'pending-switch' | 'missing' | 'failed' | 'blocked';
}

/**
 * The fences an entry hands to the monitor, to apply when their region answers again: those deferred at
 * planning and those that failed (with an override too: a failed fence stays pending), but only when every
 * activation of the entry happened. A fence whose activation did not happen is dropped: applying it later would
 * leave the entry running nowhere.
 */
export function fencesLeftPending(steps: readonly StepOutcome[]): WorkflowTarget[] {
  const activations = steps.filter((s) => !protects(s.action) && s.action.op !== 'pending-fence');
  if (activations.some((s) => s.status !== 'done' && s.status !== 'noop')) return [];
  return steps
    .filter(
      (s) =>
        s.status === 'pending-fence' ||
        (s.status === 'failed' && s.action.op === 'disable' && protects(s.action)),
    )
    .map((s) => s.action.target);
}

/**
 * The switches an entry hands to the monitor, to make when the router answers again: those recorded
 * `pending-switch` whose workflow's earlier steps all ran (never routed to a workflow that is not enabled).
 */
export function switchesLeftPending(steps: readonly StepOutcome[]): PendingSwitch[] {
  return steps.flatMap((s, i) => {
    if (s.status !== 'pending-switch' || s.action.op !== 'pending-switch') return [];
    const { router, target, to } = s.action;
    const ran = steps
      .slice(0, i)
      .filter((e) => targetKey(e.action.target) === targetKey(target))
      .every((e) => RAN.has(e.status));
    return ran ? [{ router, target, to }] : [];
  });
}

/**
 * At failback, when an activation fails after the entry's protective steps ran: what puts the secondary's copy
 * back as it was (the steps this operation changed, newest first), so the entry keeps running there.
 */
export function compensation(entry: EntryPlan, steps: readonly StepOutcome[]): PlannedAction[] {
  return (entry.undo ?? [])
    .filter((u) => steps[u.step]?.status === 'done')
    .reverse()
    .map((u) => u.action);
}

/** The reason an entry is held after its compensation: what failed, and what was put back. */
export function heldAfterCompensation(
  entry: EntryPlan,
  failure: string,
  undone: readonly { action: PlannedAction; ok: boolean; error?: string }[],
): string {
  const back = undone.filter((u) => u.ok).map((u) => u.action.target.label);
  const failed = undone.filter((u) => !u.ok);
  const restored = back.length
    ? `${back.join(', ')} put back as before, so ${entry.entry} keeps running in the secondary`
    : `nothing of the secondary needed putting back`;
  const lost = failed.length
    ? `; putting back ${failed.map((u) => `${u.action.target.label} failed too (${u.error ?? 'unknown error'})`).join(', ')}: ${entry.entry} may run nowhere, enable it by hand`
    : '';
  return `held: ${failure}; ${restored}${lost} [${SAFETY_RULES.everyEntryRuns}]. Fail back again once the primary can take it`;
}

/** How a step's error starts when its retries (or its fence budget) ran out: the region kept failing. */
export const GAVE_UP = 'gave up';

/**
 * Regions whose fences ran out of retries in these entries: later groups of the same operation try their
 * fences there once, instead of spending the whole budget again on a region already found failing.
 */
export function regionsFoundFailing(steps: readonly (StepOutcome & { error?: string })[]): RegionName[] {
  const regions = steps
    .filter((s) => s.status === 'failed' && protects(s.action) && s.error?.startsWith(GAVE_UP))
    .map((s) => s.action.target.region);
  return [...new Set(regions)];
}

/**
 * A failback in which every entry was held or blocked (nothing moved, or what moved was put back): it failed,
 * so the monitor keeps the secondary active and a failback can be asked for again. (A failover's outcome is the
 * monitor's to judge: a failed one would be started again at the next failed probe.)
 */
export function failbackMovedNothing(
  direction: 'failover' | 'failback',
  entries: readonly { blocked?: string }[],
): boolean {
  return direction === 'failback' && entries.length > 0 && entries.every((e) => e.blocked !== undefined);
}
