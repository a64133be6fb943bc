/**
 * The failover/failback planner: from the plan and what ARM says now, the ordered ARM operations an operation
 * would perform. `dr whatif` prints it; the failover orchestration executes it. One source of truth.
 */
import type { Plan, SplitSide, WorkflowEntry, WorkflowRef } from '../plan/schema';
import { isSplitSide } from './plan-rules';
import { refKey, refName } from './refs';
import type { Recurrence } from './recurrence';
import { deactivates, unmetExpectation, unmetRouting } from './verify';
import { splitSchedules, type SplitSchedules } from './schedule';
import { entryRouter, type RouterObservation, type RouterTarget } from './routers';

export type RegionName = 'primary' | 'secondary';

/** One workflow in one region, as the planner and the activities address it. */
export interface WorkflowTarget {
  region: RegionName;
  ref: WorkflowRef;
  /** Stable identity (subscription/resource group/name, lower case) for maps and logs. */
  key: string;
  /** Human label: `primary:order-webhook` or `secondary:la-neu/invoice-sync`. */
  label: string;
}

/** What ARM said about a workflow just now; `reachable: false` when its region's ARM did not answer. */
export type WorkflowObservation =
  /** `state: 'Unknown'` with `error` when ARM answered with an error: the region is there, act normally. */
  | {
      reachable: true;
      state: string;
      recurrence?: unknown;
      /** The adapter's revision token of this read, so a rewrite can refuse if the workflow changed since. */
      revision?: string;
      exists?: true;
      error?: string;
    }
  | { reachable: true; exists: false }
  | { reachable: false; error: string };

export type Observe = (target: WorkflowTarget) => WorkflowObservation | undefined;
/** What ARM said about an entry's router at planning (undefined: not read, e.g. read-back's expectations). */
export type ObserveRouter = (router: RouterTarget) => RouterObservation | undefined;

export type PlannedAction =
  | { op: 'disable'; target: WorkflowTarget; why: 'fence' | 'stand-down'; noop: boolean; observed?: string }
  | { op: 'enable'; target: WorkflowTarget; why: 'activate' | 'restore'; noop: boolean; observed?: string }
  | {
      op: 'set-recurrence';
      target: WorkflowTarget;
      triggerName?: string;
      recurrence: Recurrence;
      why: 'take-every-slot' | 'restore-split';
      noop: boolean;
      /** Revision read while planning: the rewrite is refused if the workflow changed since (someone else's write). */
      basedOn?: string;
    }
  /** The primary could not be reached: its fence is recorded and applied when its ARM answers again. */
  | { op: 'pending-fence'; target: WorkflowTarget; why: 'primary-unreachable' }
  /** The workflow does not exist: reported, never silently skipped. */
  | { op: 'missing'; target: WorkflowTarget; why: 'not-found' }
  /**
   * Sends the entry's callers to `target` (the workflow of region `to`) through its router. Runs after that
   * workflow is enabled, and before the other region's copy is disabled at failback: never routed to a
   * disabled workflow.
   */
  | {
      op: 'switch-router';
      target: WorkflowTarget;
      router: RouterTarget;
      to: RegionName;
      why: 'route-to-secondary' | 'route-to-primary';
      noop: boolean;
      /** What the router showed at planning (one line, no secrets). */
      observed?: string;
    }
  /** The router's ARM did not answer at planning: the switch is reported pending, callers stay where they are. */
  | {
      op: 'pending-switch';
      target: WorkflowTarget;
      router: RouterTarget;
      to: RegionName;
      why: 'router-unreachable';
      error: string;
    };

export interface EntryPlan {
  entry: string;
  role: WorkflowEntry['role'];
  /** Split entries switch just after a slot boundary so no slot runs twice or is skipped. */
  slotBoundary?: { every: string; anchor: string };
  /** Executed in order: a fence always precedes the activation it protects. */
  steps: PlannedAction[];
  /** Set (and `steps` empty) when the DR rules refuse the entry's live trigger for its role: nothing runs. */
  blocked?: string;
}

export interface GroupPlan {
  group: number;
  /** Entries of one group run in parallel. */
  entries: EntryPlan[];
}

export type Direction = 'failover' | 'failback';

export interface OperationPlan {
  direction: Direction;
  kind: 'planned' | 'emergency';
  groups: GroupPlan[];
}

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
