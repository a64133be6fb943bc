/**
 * The failover/failback planner: from the plan and what ARM says now, the ordered ARM operations an operation
 * would perform. `dr whatif` prints it; the failover orchestration executes it. One source of truth.
 */
import type { Plan, SplitSide, WorkflowEntry, WorkflowRef } from '../plan/schema';
import type {
  Direction,
  EntryPlan,
  Observe,
  ObserveRouter,
  OperationPlan,
  PlannedAction,
  RegionName,
  WorkflowTarget,
} from './operation-plan';
import { isSplitSide } from './plan-rules';
import type { Recurrence } from './recurrence';
import { refKey, refName } from './refs';
import { deactivates, unmetExpectation, unmetRouting } from './verify';
import { splitSchedules, type SplitSchedules } from './schedule';
import { entryRouter } from './routers';

// The plan's vocabulary lives in operation-plan.ts (so verify and safety need not import the planner).
export type {
  RegionName,
  WorkflowTarget,
  WorkflowObservation,
  Observe,
  ObserveRouter,
  PlannedAction,
  EntryPlan,
  GroupPlan,
  Direction,
  OperationPlan,
} from './operation-plan';

export function targetOf(plan: Plan, region: RegionName, ref: WorkflowRef): WorkflowTarget {
  return { region, ref, key: refKey(ref, plan[region]), label: `${region}:${refName(ref)}` };
}

/** The schedules of a split entry (validated at plan load, so this does not throw for a loaded plan). */
export function entrySchedules(entry: WorkflowEntry): SplitSchedules | undefined {
  if (entry.role !== 'split-recurrence' || !entry.schedule) return undefined;
  return splitSchedules({ ...entry.schedule, form: 'auto' });
}

export function planOperation(
  plan: Plan,
  direction: Direction,
  observe: Observe,
  kind: 'planned' | 'emergency' = 'emergency',
  observeRouter: ObserveRouter = () => undefined,
): OperationPlan {
  const groups = new Map<number, EntryPlan[]>();
  for (const entry of plan.workflows) {
    const group = entry.group ?? 0;
    const entryPlan = withRouterSwitch(
      plan,
      entry,
      direction,
      planEntry(plan, entry, direction, observe, kind),
      observeRouter,
    );
    groups.set(group, [...(groups.get(group) ?? []), entryPlan]);
  }
  return {
    direction,
    kind,
    groups: [...groups.entries()].sort(([a], [b]) => a - b).map(([group, entries]) => ({ group, entries })),
  };
}

function planEntry(
  plan: Plan,
  entry: WorkflowEntry,
  direction: Direction,
  observe: Observe,
  kind: 'planned' | 'emergency',
): EntryPlan {
  const t = (region: RegionName, ref: WorkflowRef) => targetOf(plan, region, ref);
  const steps: PlannedAction[] = [];

  const setState = (
    target: WorkflowTarget,
    want: 'Enabled' | 'Disabled',
    why: 'fence' | 'stand-down' | 'activate' | 'restore',
  ) => {
    const seen = observe(target);
    if (seen && !seen.reachable) {
      // Only fences may wait for the primary to come back; anything else must happen now.
      if (want === 'Disabled' && target.region === 'primary') {
        steps.push({ op: 'pending-fence', target, why: 'primary-unreachable' });
        return;
      }
    }
    if (seen && seen.reachable && seen.exists === false) {
      steps.push({ op: 'missing', target, why: 'not-found' });
      return;
    }
    const current = seen && 'state' in seen ? seen.state : undefined;
    const observed = current !== undefined ? { observed: current } : {};
    const step: PlannedAction =
      want === 'Disabled'
        ? { op: 'disable', target, why: why as 'fence' | 'stand-down', noop: false, ...observed }
        : { op: 'enable', target, why: why as 'activate' | 'restore', noop: false, ...observed };
    // A no-op when ARM already shows what the step would leave.
    step.noop = current !== undefined && unmetExpectation(step, { state: current }) === undefined;
    steps.push(step);
  };

  const setRecurrence = (
    target: WorkflowTarget,
    side: Extract<SplitSide, { mode: 'rewrite' }>,
    recurrence: Recurrence,
    why: 'take-every-slot' | 'restore-split',
  ) => {
    const seen = observe(target);
    if (seen && seen.reachable && seen.exists === false) {
      steps.push({ op: 'missing', target, why: 'not-found' });
      return;
    }
    const current = seen && seen.reachable && 'recurrence' in seen ? seen.recurrence : undefined;
    const basedOn = seen && seen.reachable && 'revision' in seen ? seen.revision : undefined;
    const step: PlannedAction = {
      op: 'set-recurrence',
      target,
      recurrence,
      why,
      noop: false,
      ...(side.triggerName ? { triggerName: side.triggerName } : {}),
      ...(basedOn ? { basedOn } : {}),
    };
    step.noop =
      current !== undefined && unmetExpectation(step, { recurrence: current }, entry.schedule) === undefined;
    steps.push(step);
  };

  const failover = direction === 'failover';
  switch (entry.role) {
    case 'active-passive':
      if (failover) {
        setState(t('primary', entry.primary as WorkflowRef), 'Disabled', 'fence');
        setState(t('secondary', entry.secondary as WorkflowRef), 'Enabled', 'activate');
      } else {
        setState(t('secondary', entry.secondary as WorkflowRef), 'Disabled', 'stand-down');
        setState(t('primary', entry.primary as WorkflowRef), 'Enabled', 'restore');
      }
      break;
    case 'active-active':
      if (failover) {
        setState(t('primary', entry.primary as WorkflowRef), 'Disabled', 'fence');
        setState(t('secondary', entry.secondary as WorkflowRef), 'Enabled', 'activate');
      } else {
        setState(t('primary', entry.primary as WorkflowRef), 'Enabled', 'restore');
      }
      break;
    case 'split-recurrence': {
      const schedules = entrySchedules(entry)!;
      const primary = entry.primary as SplitSide;
      const secondary = entry.secondary as SplitSide;
      if (failover) {
        // Fence the primary first (both twins, or the rewritten workflow), then let the secondary take every slot.
        for (const ref of 'active' in primary ? [primary.active, primary.passive] : [primary.workflow]) {
          setState(t('primary', ref), 'Disabled', 'fence');
        }
        if ('active' in secondary) {
          setState(t('secondary', secondary.active), 'Enabled', 'activate');
          setState(t('secondary', secondary.passive), 'Enabled', 'activate');
        } else {
          setRecurrence(
            t('secondary', secondary.workflow),
            secondary,
            schedules.secondaryAfterFailover,
            'take-every-slot',
          );
          setState(t('secondary', secondary.workflow), 'Enabled', 'activate');
        }
      } else {
        // Give the primary's slots back: the secondary stops covering them, then the primary resumes them.
        if ('active' in secondary) {
          setState(t('secondary', secondary.passive), 'Disabled', 'stand-down');
          setState(t('secondary', secondary.active), 'Enabled', 'restore');
        } else {
          setRecurrence(
            t('secondary', secondary.workflow),
            secondary,
            schedules.secondaryAfterFailback,
            'restore-split',
          );
        }
        if ('active' in primary) {
          setState(t('primary', primary.passive), 'Disabled', 'stand-down');
          setState(t('primary', primary.active), 'Enabled', 'restore');
        } else {
          setRecurrence(
            t('primary', primary.workflow),
            primary,
            schedules.primaryAfterFailback,
            'restore-split',
          );
          setState(t('primary', primary.workflow), 'Enabled', 'restore');
        }
      }
      break;
    }
  }
  const boundary = entry.role === 'split-recurrence' && entry.schedule && (kind === 'planned' || !failover);
  return {
    entry: entry.name,
    role: entry.role,
    ...(boundary ? { slotBoundary: { every: entry.schedule!.every, anchor: entry.schedule!.anchor } } : {}),
    steps,
  };
}

/**
 * An entry with a router gets its switch: at failover after the fence and the activation (last), at failback
 * between the primary's restore and the secondary's stand-down, so callers are never sent to a disabled
 * workflow and the secondary is not disabled while callers are still sent to it.
 */
function withRouterSwitch(
  plan: Plan,
  entry: WorkflowEntry,
  direction: Direction,
  planned: EntryPlan,
  observeRouter: ObserveRouter,
): EntryPlan {
  const router = entryRouter(plan, entry);
  if (!router || entry.role === 'split-recurrence') return planned;
  const to: RegionName = direction === 'failover' ? 'secondary' : 'primary';
  const target = targetOf(plan, to, entry[to] as WorkflowRef);
  const why = direction === 'failover' ? 'route-to-secondary' : 'route-to-primary';
  const seen = observeRouter(router);
  const step: PlannedAction =
    seen && !seen.reachable
      ? { op: 'pending-switch', target, router, to, why: 'router-unreachable', error: seen.error }
      : {
          op: 'switch-router',
          target,
          router,
          to,
          why,
          noop: seen !== undefined && 'seen' in seen && unmetRouting({ to }, seen.seen) === undefined,
          ...(seen && 'seen' in seen ? { observed: seen.seen.detail } : {}),
          ...(seen && 'exists' in seen ? { observed: seen.error } : {}),
        };
  const before = planned.steps.filter((s) => direction === 'failover' || !deactivates(s));
  const after = planned.steps.filter((s) => direction === 'failback' && deactivates(s));
  return { ...planned, steps: [...before, step, ...after] };
}

/** Normal operation: which state each target should be in. */
export function normalState(entry: WorkflowEntry, target: WorkflowTarget): 'Enabled' | 'Disabled' {
  const side = entry[target.region];
  if (typeof side === 'object' && 'active' in side)
    return JSON.stringify(side.active) === JSON.stringify(target.ref) ? 'Enabled' : 'Disabled';
  if (typeof side === 'object' && 'mode' in side) return 'Enabled';
  if (entry.role === 'active-active') return 'Enabled';
  return target.region === 'primary' ? 'Enabled' : 'Disabled';
}

/** Every target an entry touches, for read-back and the safety checks. */
export function entryTargets(plan: Plan, entry: WorkflowEntry): WorkflowTarget[] {
  const refs = (side: WorkflowRef | SplitSide): WorkflowRef[] =>
    isSplitSide(side) ? ('active' in side ? [side.active, side.passive] : [side.workflow]) : [side];
  return [
    ...refs(entry.primary).map((r) => targetOf(plan, 'primary', r)),
    ...refs(entry.secondary).map((r) => targetOf(plan, 'secondary', r)),
  ];
}

/** Flattens an operation plan in execution order (group by group, entry steps in order). */
export function actionsInOrder(op: OperationPlan): { group: number; entry: string; action: PlannedAction }[] {
  return op.groups.flatMap((g) =>
    g.entries.flatMap((e) => e.steps.map((action) => ({ group: g.group, entry: e.entry, action }))),
  );
}
