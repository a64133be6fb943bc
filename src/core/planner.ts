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
  WorkflowObservation,
  WorkflowTarget,
} from './operation-plan';
import { isSplitSide } from './plan-rules';
import type { Recurrence } from './recurrence';
import { refKey, refName } from './refs';
import { deactivates, protects, unmetExpectation, unmetRouting } from './verify';
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
  PendingSwitch,
} from './operation-plan';

export function targetOf(plan: Plan, region: RegionName, ref: WorkflowRef): WorkflowTarget {
  return { region, ref, key: refKey(ref, plan[region]), label: `${region}:${refName(ref)}` };
}

/** The schedules of a split entry (validated at plan load, so this does not throw for a loaded plan). */
export function entrySchedules(entry: WorkflowEntry): SplitSchedules | undefined {
  if (entry.role !== 'split-recurrence' || !entry.schedule) return undefined;
  return splitSchedules({ ...entry.schedule, form: 'auto' });
}

export interface PlanOptions {
  /**
   * Why the region taking over cannot take any entry (at failback: the primary's health check fails). Every
   * entry is then held whole: nothing is stood down that could not be brought up.
   */
  unfit?: string;
  /** What each router answered (undefined: not read); an entry with a router gets its switch step. */
  observeRouter?: ObserveRouter;
}

export function planOperation(
  plan: Plan,
  direction: Direction,
  observe: Observe,
  kind: 'planned' | 'emergency' = 'emergency',
  options: PlanOptions = {},
): OperationPlan {
  const groups = new Map<number, EntryPlan[]>();
  for (const entry of plan.workflows) {
    const group = entry.group ?? 0;
    const entryPlan = holdUnfit(
      withRouterSwitch(
        plan,
        entry,
        direction,
        planEntry(plan, entry, direction, observe, kind),
        options.observeRouter ?? (() => undefined),
      ),
      direction,
      options.unfit,
    );
    groups.set(group, [...(groups.get(group) ?? []), entryPlan]);
  }
  return {
    direction,
    kind,
    groups: [...groups.entries()].sort(([a], [b]) => a - b).map(([group, entries]) => ({ group, entries })),
  };
}

/** Taking over: the secondary at failover, the primary at failback. */
export const takingOver = (direction: Direction): RegionName =>
  direction === 'failover' ? 'secondary' : 'primary';

const heldMessage = (entry: string, direction: Direction, why: string) =>
  `held: ${why}, so ${direction === 'failover' ? 'fencing the primary' : 'standing the secondary down'} would leave ${entry} running nowhere [every-entry-runs]. Nothing of ${entry} was changed; fix this, then ${direction === 'failover' ? 'fail over' : 'fail back'} again`;

function holdUnfit(entry: EntryPlan, direction: Direction, unfit: string | undefined): EntryPlan {
  if (!unfit || entry.blocked) return entry;
  const { undo: _undo, ...rest } = entry;
  return {
    ...rest,
    steps: [],
    blocked: heldMessage(entry.entry, direction, unfit),
    held: 'every-entry-runs',
  };
}

/**
 * Why the region taking over could not activate a target, from what ARM said of it; undefined when it can.
 * `certain`: it cannot, whatever happens next (missing, or in a state no enable leaves); otherwise it could not
 * be read, and an activation tried with retries might still succeed.
 */
export function cannotActivate(
  target: WorkflowTarget,
  seen: WorkflowObservation | undefined,
): { why: string; certain: boolean } | undefined {
  if (!seen) return undefined; // Not read (a dry plan): nothing to judge.
  if (!seen.reachable)
    return {
      why: `${target.label} could not be read (its region's ARM did not answer: ${seen.error})`,
      certain: false,
    };
  if (seen.exists === false) return { why: `${target.label} does not exist`, certain: true };
  if (seen.error !== undefined)
    return { why: `${target.label} could not be read (${seen.error})`, certain: false };
  if (seen.state !== 'Enabled' && seen.state !== 'Disabled')
    return { why: `${target.label} is ${seen.state} and cannot be enabled`, certain: true };
  return undefined;
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
  // Never none: what the region taking over must activate has to be there and able to run, before anything
  // of the entry is fenced or stood down.
  const holds: { why: string; certain: boolean }[] = [];
  const checkTakingOver = (target: WorkflowTarget, seen: WorkflowObservation | undefined) => {
    if (target.region !== takingOver(direction)) return;
    const cannot = cannotActivate(target, seen);
    if (cannot && !holds.some((h) => h.why === cannot.why)) holds.push(cannot);
  };

  const setState = (
    target: WorkflowTarget,
    want: 'Enabled' | 'Disabled',
    why: 'fence' | 'stand-down' | 'activate' | 'restore',
  ) => {
    const seen = observe(target);
    if (want === 'Enabled') checkTakingOver(target, seen);
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
    checkTakingOver(target, seen);
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
  // A target that could not be read holds the entry only when a protective step would write now: with every
  // fence deferred (its region silent) the activation is tried with retries, and a deferred fence whose
  // activation did not happen is never applied (core/entry-gate fencesLeftPending).
  const writesProtection = steps.some((s) => s.op !== 'pending-fence' && protects(s));
  if (holds.some((h) => h.certain) || (holds.length && writesProtection))
    return {
      entry: entry.name,
      role: entry.role,
      steps: [],
      blocked: heldMessage(entry.name, direction, holds.map((h) => h.why).join('; ')),
      held: 'every-entry-runs',
    };
  const boundary = entry.role === 'split-recurrence' && entry.schedule && (kind === 'planned' || !failover);
  const undo = failover ? [] : undoSteps(entry, steps);
  return {
    entry: entry.name,
    role: entry.role,
    ...(boundary ? { slotBoundary: { every: entry.schedule!.every, anchor: entry.schedule!.anchor } } : {}),
    steps,
    ...(undo.length ? { undo } : {}),
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
  const steps = [...before, step, ...after];
  // The compensation points at steps by index: follow them to where the switch moved them.
  const undo = planned.undo?.map((u) => ({ ...u, step: steps.indexOf(planned.steps[u.step]!) }));
  return { ...planned, steps, ...(undo ? { undo } : {}) };
}

/**
 * At failback, how to take back each step that stopped or narrowed the secondary's copy: enable it again, or
 * give it every slot again. Run when the primary then fails to take the entry, so it never runs nowhere.
 */
function undoSteps(entry: WorkflowEntry, steps: PlannedAction[]): { step: number; action: PlannedAction }[] {
  const out: { step: number; action: PlannedAction }[] = [];
  steps.forEach((s, step) => {
    if (s.target.region !== 'secondary') return;
    if (s.op === 'disable')
      out.push({ step, action: { op: 'enable', target: s.target, why: 'activate', noop: false } });
    if (s.op === 'set-recurrence' && s.why === 'restore-split')
      out.push({
        step,
        action: {
          op: 'set-recurrence',
          target: s.target,
          recurrence: entrySchedules(entry)!.secondaryAfterFailover,
          why: 'take-every-slot',
          noop: false,
          ...(s.triggerName ? { triggerName: s.triggerName } : {}),
        },
      });
  });
  return out;
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
