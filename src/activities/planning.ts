/** Planning a failover or failback from live ARM states, with the same planner as `dr whatif`. */
import { targetKey } from '../core/refs';
import { planFromEstate } from '../estate/live-check';
import type { Direction } from '../core/planner';
import { overlapViolations, type StateOf } from '../core/safety';
import type { PlannedOperation, ReadBackReport } from '../durable/contracts';
import type { ActivityContext } from './context';

/** A planning or read-back observation as the safety rules see it. */
export const stateOfObserved =
  (observed: Map<string, { observation: { reachable: boolean } & Record<string, unknown> }>): StateOf =>
  (t) => {
    const o = observed.get(targetKey(t))?.observation as
      { state?: string; recurrence?: unknown; error?: string } | undefined;
    // A read ARM answered with an error proves nothing either way, like a region that does not answer.
    return o?.state !== undefined && o.error === undefined
      ? { state: o.state, ...(o.recurrence !== undefined ? { recurrence: o.recurrence } : {}) }
      : 'unknown';
  };

export function planningActivities({ plan, control, routers, now }: ActivityContext) {
  const planOperation = async (input: {
    direction: Direction;
    kind: 'planned' | 'emergency';
  }): Promise<PlannedOperation> => {
    // Entries that left their trigger to the live definition are held to the DR rules here, before any write.
    const { op, observed, unreadable } = await planFromEstate(
      plan,
      input.direction,
      input.kind,
      control,
      routers,
    );
    const before: ReadBackReport = {
      group: -1,
      at: now().toISOString(),
      mismatches: [],
      violations: overlapViolations(plan, stateOfObserved(observed)),
      unreadable,
    };
    return { plan: op, before };
  };

  return { planOperation };
}
