/** Reads what ARM says about every workflow of a plan, without ever throwing for one workflow's failure. */
import { ArmTerminalError, ArmTransientError } from '../adapters/arm/errors';
import type { LogicAppsControl, WorkflowInfo } from '../adapters/logicapps/port';
import { entryTargets, type WorkflowObservation, type WorkflowTarget } from '../core/planner';
import type { Plan } from '../plan/schema';
import { locatorFor } from './locate';

export interface Observed {
  target: WorkflowTarget;
  observation: WorkflowObservation;
  info?: WorkflowInfo;
}

/** The recurrence of the workflow's (single or named) Recurrence trigger, for slot comparisons. */
export function recurrenceOf(info: WorkflowInfo, triggerName?: string): unknown {
  const triggers = (info.definition?.triggers ?? {}) as Record<
    string,
    { type?: string; recurrence?: unknown }
  >;
  if (triggerName) return triggers[triggerName]?.recurrence;
  const recurring = Object.values(triggers).filter((t) => /^(Recurrence|SlidingWindow)$/i.test(t.type ?? ''));
  return recurring.length === 1 ? recurring[0]!.recurrence : undefined;
}

export async function observeTarget(
  plan: Plan,
  control: LogicAppsControl,
  target: WorkflowTarget,
): Promise<Observed> {
  try {
    const info = await control.getWorkflow(locatorFor(plan, target));
    const recurrence = recurrenceOf(info);
    return {
      target,
      info,
      observation: {
        reachable: true,
        state: info.state,
        ...(recurrence !== undefined ? { recurrence } : {}),
        ...(info.revision ? { revision: info.revision } : {}),
      },
    };
  } catch (err) {
    if (err instanceof ArmTerminalError && err.status === 404) {
      return { target, observation: { reachable: true, exists: false } };
    }
    // Only a region whose ARM does not answer at all is unreachable (its fences wait). One that answers with
    // errors is there: we must still try to fence it, and block what a failed fence would protect.
    if (err instanceof ArmTransientError && err.status === undefined) {
      return { target, observation: { reachable: false, error: err.message } };
    }
    return { target, observation: { reachable: true, state: 'Unknown', error: (err as Error).message } };
  }
}

/** Reads in flight at once: far above what ARM's read bucket sustains, low enough to stop early. */
const READ_CONCURRENCY = 32;
/** A region whose ARM refused this many reads in a row, with no success between, is taken as down. */
const REGION_DOWN_AFTER = 3;

/**
 * Every target of every entry, read in parallel (the adapter's throttle paces the reads). Once a region's ARM
 * has not answered several reads in a row, its remaining targets are marked unreachable without asking:
 * a thousand refused reads would only spend the subscription's read bucket and delay the failover.
 */
export async function observePlan(plan: Plan, control: LogicAppsControl): Promise<Map<string, Observed>> {
  const targets = plan.workflows.flatMap((entry) => entryTargets(plan, entry));
  const refusedInARow = new Map<string, number>();
  const observed: Observed[] = new Array<Observed>(targets.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const target = targets[i]!;
      if ((refusedInARow.get(target.region) ?? 0) >= REGION_DOWN_AFTER) {
        observed[i] = {
          target,
          observation: {
            reachable: false,
            error: `not read: the ${target.region} region's ARM did not answer ${REGION_DOWN_AFTER} reads in a row`,
          },
        };
        continue;
      }
      const o = await observeTarget(plan, control, target);
      refusedInARow.set(
        target.region,
        o.observation.reachable ? 0 : (refusedInARow.get(target.region) ?? 0) + 1,
      );
      observed[i] = o;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, targets.length) }, worker));
  return new Map(observed.map((o) => [observationKey(o.target), o]));
}

export const observationKey = (t: WorkflowTarget): string => `${t.region}:${t.key}`;
