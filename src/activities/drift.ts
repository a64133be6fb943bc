/**
 * The monitor's drift check: read the last operation's audit record (its output in the task hub), read the
 * workflows of the entries it changed (list pages per resource group: a few ARM reads), and hold them to what
 * it left (core/drift.ts). A record that cannot be read is a skipped check, said so, never an empty one.
 */
import { driftTargets, findDrift, leftByOperation, type DriftCheck } from '../core/drift';
import type { RegionName } from '../core/planner';
import { targetKey } from '../core/refs';
import { statusIfAny, type DurableClient } from '../durable/client';
import { operationInstanceId, type OperationRecord } from '../durable/contracts';
import { observeTargets } from '../estate/observe';
import type { ActivityContext } from './context';
import { stateOfObserved } from './planning';

export function driftActivities({ plan, control }: ActivityContext) {
  const checkDrift = async (
    input: { operationId: string; activeRegion: RegionName; pendingFences: string[] },
    client: DurableClient,
  ): Promise<DriftCheck> => {
    const { operationId } = input;
    const status = await statusIfAny(client, operationInstanceId(plan.id, operationId));
    const record = status?.output as Partial<OperationRecord> | null | undefined;
    if (status?.runtimeStatus !== 'Completed' || !Array.isArray(record?.entries))
      return {
        operationId,
        checked: 0,
        drift: [],
        unreadable: [],
        skipped: `the audit record of ${operationId} could not be read (${status?.runtimeStatus ?? 'no such instance'})`,
      };
    const left = leftByOperation(record.entries);
    const targets = driftTargets(plan, left);
    const observed = await observeTargets(plan, control, targets);
    const byKey = new Map(observed.map((o) => [targetKey(o.target), o]));
    const stateOf = stateOfObserved(byKey);
    return {
      operationId,
      checked: targets.length,
      drift: findDrift(plan, left, stateOf, input.activeRegion, new Set(input.pendingFences)),
      unreadable: targets.filter((t) => stateOf(t) === 'unknown').map((t) => t.label),
    };
  };
  return { checkDrift };
}
