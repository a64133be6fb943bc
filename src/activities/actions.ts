/**
 * ARM writes: one planned action, and the fences left pending. Every failure is a result: transient ones say
 * so (with ARM's Retry-After), for the orchestration to try again after a pause on a durable timer; terminal
 * ones are final, so a retry is never wasted on a 403.
 */
import {
  ArmConcurrencyError,
  ArmTerminalError,
  ArmTransientError,
  isArmFailure,
} from '../adapters/arm/errors';
import { locatorFor } from '../estate/locate';
import { applySwitch } from '../estate/routers';
import type { SiteScope } from '../adapters/logicapps/port';
import { entryTargets, type PendingSwitch, type PlannedAction, type WorkflowTarget } from '../core/planner';
import { targetKey } from '../core/refs';
import { coverageViolations, SAFETY_RULES } from '../core/safety';
import { observeTarget, observeTargets } from '../estate/observe';
import { stateOfObserved } from './planning';
import type { BatchActionResult } from '../durable/contracts';
import type { ActivityContext } from './context';

const knownState = (action: PlannedAction) =>
  'observed' in action && action.observed !== undefined ? { knownState: action.observed } : {};

/** A transient ARM failure as a result, with the Retry-After ARM sent (429, 503) for the next try. */
const transientResult = (err: ArmTransientError): BatchActionResult => ({
  ok: false,
  error: err.message,
  transient: true,
  ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
});

export function actionActivities({ plan, control, routers }: ActivityContext) {
  const applyAction = async (input: {
    operationId: string;
    action: PlannedAction;
  }): Promise<BatchActionResult> => {
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
        case 'switch-router':
          return { ok: true, ...(await applySwitch(plan, control, routers, action)) };
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
      if (err instanceof ArmTransientError) return transientResult(err);
      throw err; // Not an ARM answer at all (a bug): the orchestration's retry policy decides.
    }
  };

  /**
   * Many enables and disables at once (a group's fences, then its activations), so a failover of a thousand
   * workflows is two activities instead of a thousand. Consumption workflows are written concurrently (the
   * throttle paces them); the Standard workflows of one site are flipped with ONE app-settings write. Never
   * throws for an ARM answer: a transient failure comes back as `transient` for the orchestration to try that
   * action again after a pause, so what already succeeded is never written twice; every write is idempotent
   * (a site's settings are re-read and only what differs is written), so a retried activity loses nothing.
   */
  const applyActions = async (input: {
    operationId: string;
    actions: PlannedAction[];
  }): Promise<BatchActionResult[]> => {
    const results = new Array<BatchActionResult>(input.actions.length);
    // An ARM answer becomes the action's result; anything else (a bug) fails the activity.
    const failed = (err: unknown): BatchActionResult => {
      if (err instanceof ArmTransientError) return transientResult(err);
      if (err instanceof ArmTerminalError) return { ok: false, error: err.message };
      throw err;
    };
    const sites = new Map<string, { scope: SiteScope; indices: number[] }>();
    const single: number[] = [];
    input.actions.forEach((action, i) => {
      const l = locatorFor(plan, action.target);
      if ('site' in l && (action.op === 'enable' || action.op === 'disable')) {
        const key = `${l.subscriptionId}/${l.resourceGroup}/${l.site}`.toLowerCase();
        const site = sites.get(key) ?? {
          scope: { subscriptionId: l.subscriptionId, resourceGroup: l.resourceGroup, site: l.site },
          indices: [],
        };
        site.indices.push(i);
        sites.set(key, site);
      } else single.push(i);
    });
    await Promise.all([
      ...[...sites.values()].map(async ({ scope, indices }) => {
        const states: Record<string, 'Enabled' | 'Disabled'> = {};
        const nameOf = (i: number) =>
          (locatorFor(plan, input.actions[i]!.target) as { workflow: string }).workflow;
        for (const i of indices)
          states[nameOf(i)] = input.actions[i]!.op === 'enable' ? 'Enabled' : 'Disabled';
        try {
          const { changed } = await control.setSiteStates(scope, states);
          for (const i of indices) results[i] = { ok: true, changed: changed.includes(nameOf(i)) };
        } catch (err) {
          for (const i of indices) results[i] = failed(err);
        }
      }),
      ...single.map(async (i) => {
        try {
          results[i] = await applyAction({ operationId: input.operationId, action: input.actions[i]! });
        } catch (err) {
          results[i] = failed(err);
        }
      }),
    ]);
    return results;
  };

  /**
   * The monitor tries this every probe cycle while fences are pending, so a region whose ARM does not answer
   * costs one refused call per cycle: its remaining targets wait for the next cycle without being asked.
   * Never none: a fence is applied only while the entry it belongs to runs in the other region (read first,
   * one list read per resource group); otherwise it stays pending, unapplied, and says why.
   */
  const applyPendingFences = async (targets: WorkflowTarget[]) => {
    const applied: WorkflowTarget[] = [];
    const pending: WorkflowTarget[] = [];
    const errors: string[] = [];
    const silent = new Set<string>();
    const held = await fencesThatWouldLeaveNone(targets);
    for (const target of targets) {
      const why = held.get(targetKey(target));
      if (silent.has(target.region) || why) {
        pending.push(target);
        if (why) errors.push(why);
        continue;
      }
      try {
        await control.setState(locatorFor(plan, target), 'Disabled');
        applied.push(target);
      } catch (err) {
        if (!isArmFailure(err)) throw err; // a bug, not a region's answer: fail the activity
        pending.push(target);
        errors.push(err.message);
        if (err instanceof ArmTransientError && err.status === undefined) silent.add(target.region);
      }
    }
    return { applied, pending, errors };
  };

  /**
   * The monitor tries this every probe cycle while switches are pending (their router's ARM was silent). Never
   * routed to a disabled workflow: a switch is made only while the workflow it routes to reads Enabled now;
   * otherwise, or while the router does not answer, it stays pending and says why.
   */
  const applyPendingSwitches = async (switches: PendingSwitch[]) => {
    const applied: PendingSwitch[] = [];
    const pending: PendingSwitch[] = [];
    const errors: string[] = [];
    for (const s of switches) {
      const seen = (await observeTarget(plan, control, s.target)).observation;
      if (!('state' in seen) || seen.state !== 'Enabled' || seen.error !== undefined) {
        pending.push(s);
        const now = 'error' in seen && seen.error ? `could not be read (${seen.error})` : 'is not Enabled';
        errors.push(`${s.router.label} not switched to ${s.target.label}: the workflow ${now}`);
        continue;
      }
      try {
        await applySwitch(plan, control, routers, s);
        applied.push(s);
      } catch (err) {
        if (!isArmFailure(err)) throw err; // a bug, not the router's answer: fail the activity
        pending.push(s);
        errors.push(`${s.router.label} not switched to ${s.target.label}: ${err.message}`);
      }
    }
    return { applied, pending, errors };
  };

  /** Pending fences whose entry does not (provably) run in the other region now, by target key, with why. */
  const fencesThatWouldLeaveNone = async (targets: WorkflowTarget[]): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    const entryOf = (t: WorkflowTarget) =>
      plan.workflows.find((e) => entryTargets(plan, e).some((x) => targetKey(x) === targetKey(t)));
    const others = new Map<string, WorkflowTarget>();
    for (const t of targets) {
      const entry = entryOf(t);
      for (const o of entry ? entryTargets(plan, entry) : [])
        if (o.region !== t.region) others.set(targetKey(o), o);
    }
    const observed = new Map(
      (await observeTargets(plan, control, [...others.values()])).map((o) => [targetKey(o.target), o]),
    );
    for (const t of targets) {
      const entry = entryOf(t);
      if (!entry) continue;
      const running = t.region === 'primary' ? 'secondary' : 'primary';
      const read = stateOfObserved(observed);
      const unread = entryTargets(plan, entry).filter((x) => x.region === running && read(x) === 'unknown');
      if (unread.length) {
        out.set(
          targetKey(t),
          `${t.label} not fenced yet: ${unread.map((x) => x.label).join(', ')} could not be read, so it is not known to run ${entry.name}`,
        );
        continue;
      }
      // As if fenced: this target disabled, the rest of its region unknown (it does not count for coverage).
      const after = (x: WorkflowTarget) =>
        targetKey(x) === targetKey(t)
          ? { state: 'Disabled' }
          : x.region === running
            ? read(x)
            : ('unknown' as const);
      const none = coverageViolations({ ...plan, workflows: [entry] }, after, running);
      if (none.length)
        out.set(
          targetKey(t),
          `${t.label} not fenced: ${none[0]!.message}, so fencing it would leave ${entry.name} running nowhere [${SAFETY_RULES.everyEntryRuns}]`,
        );
    }
    return out;
  };

  return { applyAction, applyActions, applyPendingFences, applyPendingSwitches };
}
