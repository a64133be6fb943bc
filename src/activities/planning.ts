/** Planning a failover or failback from live ARM states, with the same planner as `dr whatif`. */
import { targetKey } from '../core/refs';
import { observePlan, observeTargets } from '../estate/observe';
import { planFromObserved } from '../estate/live-check';
import { observeRouters } from '../estate/routers';
import { primaryUnfit } from '../estate/failback-gate';
import type { Direction } from '../core/planner';
import { overlapViolations, type StateOf } from '../core/safety';
import type { PlannedOperation, ReadBackReport } from '../durable/contracts';
import type { ActivityContext } from './context';

/** A planning or read-back observation as the safety rules see it. */
export const stateOfObserved =
  (observed: Map<string, { observation: { reachable: boolean } & Record<string, unknown> }>): StateOf =>
  (t) => {
    const o = observed.get(targetKey(t))?.observation as
      { state?: string; recurrence?: unknown; error?: string; exists?: boolean } | undefined;
    // Does not exist: runs nothing (so a failover that leaves an entry only there runs it nowhere).
    if (o?.exists === false) return { state: 'Disabled' };
    // A read ARM answered with an error proves nothing either way, like a region that does not answer.
    return o?.state !== undefined && o.error === undefined
      ? { state: o.state, ...(o.recurrence !== undefined ? { recurrence: o.recurrence } : {}) }
      : 'unknown';
  };

/** Reads of targets ARM answered with an error, tried again before an entry is held for them. */
const PLAN_READ_ATTEMPTS = 3;
const PLAN_READ_PAUSE_MS = 500;

export function planningActivities({ plan, control, routers, probe, now, fenceBudgetMs }: ActivityContext) {
  /** Every target of the plan; a read ARM answered with an error is tried again, so one flaky read holds nothing. */
  const observeForPlanning = async () => {
    const observed = await observePlan(plan, control);
    for (let attempt = 1; attempt < PLAN_READ_ATTEMPTS; attempt++) {
      const again = [...observed.values()].filter((o) => o.observation.reachable && 'error' in o.observation);
      if (again.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, PLAN_READ_PAUSE_MS * attempt));
      for (const o of await observeTargets(
        plan,
        control,
        again.map((x) => x.target),
      ))
        observed.set(targetKey(o.target), o);
    }
    return observed;
  };

  const planOperation = async (input: {
    direction: Direction;
    kind: 'planned' | 'emergency';
  }): Promise<PlannedOperation> => {
    const [observed, routed] = await Promise.all([
      observeForPlanning(),
      observeRouters(plan, control, routers),
    ]);
    const unfit = input.direction === 'failback' ? await primaryUnfit(probe, plan, now()) : undefined;
    // Entries that left their trigger to the live definition are held to the DR rules here, before any write;
    // entries the region taking over cannot take are held whole (never none).
    const op = planFromObserved(plan, input.direction, observed, input.kind, routed, unfit ? { unfit } : {});
    const unreadable = [
      ...[...observed.values()].filter((o) => !o.observation.reachable).map((o) => o.target.label),
      ...[...routed.values()].filter((o) => !o.observation.reachable).map((o) => o.target.label),
    ];
    const before: ReadBackReport = {
      group: -1,
      at: now().toISOString(),
      mismatches: [],
      violations: overlapViolations(plan, stateOfObserved(observed)),
      unreadable,
    };
    return { plan: op, before, ...(fenceBudgetMs !== undefined ? { fenceBudgetMs } : {}) };
  };

  return { planOperation };
}
