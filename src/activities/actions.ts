/**
 * ARM writes: one planned action, and the fences left pending. Transient failures throw (the orchestration
 * retries them with backoff); terminal ones are returned as results, so a retry is never wasted on a 403.
 */
import { ArmConcurrencyError, ArmTerminalError, ArmTransientError } from '../adapters/arm/errors';
import { locatorFor } from '../app/locate';
import type { PlannedAction, WorkflowTarget } from '../core/planner';
import type { ApplyActionResult } from '../durable/contracts';
import type { ActivityContext } from './context';

const knownState = (action: PlannedAction) =>
  'observed' in action && action.observed !== undefined ? { knownState: action.observed } : {};

export function actionActivities({ plan, control }: ActivityContext) {
  const applyAction = async (input: {
    operationId: string;
    action: PlannedAction;
  }): Promise<ApplyActionResult> => {
    const { action } = input;
    const locator = locatorFor(plan, action.target);
    try {
      switch (action.op) {
        // The state read while planning saves a read per action (ARM's read bucket is the tighter one).
        case 'enable':
          return { ok: true, ...(await control.setState(locator, 'Enabled', knownState(action))) };
        case 'disable':
          return { ok: true, ...(await control.setState(locator, 'Disabled', knownState(action))) };
        case 'set-recurrence':
          return {
            ok: true,
            ...(await control.setRecurrence(
              locator,
              action.recurrence as unknown as Record<string, unknown>,
              {
                ...(action.triggerName ? { triggerName: action.triggerName } : {}),
                // The revision read while planning: someone else's write since then is never overwritten.
                ...(action.basedOn ? { basedOn: action.basedOn } : {}),
              },
            )),
          };
        default:
          return { ok: false, error: `${action.op} is not an ARM action` };
      }
    } catch (err) {
      // Retrying the same stale revision can never succeed, and rewriting on a fresh read would silently take
      // the schedule from whoever just changed it. Fail the step now; running the operation again re-plans.
      if (err instanceof ArmConcurrencyError)
        return {
          ok: false,
          error: `${action.target.label} changed since planning, not overwritten (${err.message}); check the change, then run the operation again to plan from a fresh read`,
        };
      if (err instanceof ArmTerminalError) return { ok: false, error: err.message };
      throw err; // Transient: the orchestration retries with backoff.
    }
  };

  /**
   * The monitor tries this every probe cycle while fences are pending, so a region whose ARM does not answer
   * costs one refused call per cycle: its remaining targets wait for the next cycle without being asked.
   */
  const applyPendingFences = async (targets: WorkflowTarget[]) => {
    const applied: WorkflowTarget[] = [];
    const pending: WorkflowTarget[] = [];
    const errors: string[] = [];
    const silent = new Set<string>();
    for (const target of targets) {
      if (silent.has(target.region)) {
        pending.push(target);
        continue;
      }
      try {
        await control.setState(locatorFor(plan, target), 'Disabled');
        applied.push(target);
      } catch (err) {
        pending.push(target);
        errors.push((err as Error).message);
        if (err instanceof ArmTransientError && err.status === undefined) silent.add(target.region);
      }
    }
    return { applied, pending, errors };
  };

  return { applyAction, applyPendingFences };
}
