/**
 * Safety rules checked before and after every failover group: a workflow that must not run in two regions is
 * never enabled in both, and after a failover every entry runs somewhere. Pure: states come in as a function.
 */
import type { Plan, WorkflowEntry } from '../plan/schema';
import type { RegionName, StateOf, WorkflowTarget } from './operation-plan';
import { entryTargets } from './planner';
import { slotsFired } from './schedule';

export const SAFETY_RULES = {
  /** A must-not-overlap workflow (active-passive or split) enabled in both regions for the same slots. */
  noDualActive: 'no-dual-active',
  /** After failover an entry runs nowhere (or a split entry leaves slots uncovered). */
  everyEntryRuns: 'every-entry-runs',
} as const;
export type SafetyRule = (typeof SAFETY_RULES)[keyof typeof SAFETY_RULES];

export interface SafetyViolation {
  entry: string;
  rule: SafetyRule;
  message: string;
  targets: string[];
}

export type { StateOf } from './operation-plan';

const SLOTS = 8;
const ALL_SLOTS = Array.from({ length: SLOTS }, (_, i) => i);

/** Slots an enabled target runs, from its recurrence when known, else from its place in the twin scheme. */
function slotsOf(entry: WorkflowEntry, target: WorkflowTarget, recurrence: unknown): number[] {
  if (entry.schedule && recurrence !== undefined) {
    const fired = slotsFired(recurrence, entry.schedule, SLOTS);
    if (fired) return fired;
  }
  const side = entry[target.region];
  const even = ALL_SLOTS.filter((i) => i % 2 === 0);
  const odd = ALL_SLOTS.filter((i) => i % 2 === 1);
  if (typeof side === 'object' && 'active' in side) {
    const isActive = JSON.stringify(side.active) === JSON.stringify(target.ref);
    // Primary active and secondary passive run the even slots; the other two the odd ones.
    return (target.region === 'primary') === isActive ? even : odd;
  }
  return target.region === 'primary' ? even : odd;
}

/** Slots each region runs for an entry; `undefined` for a region whose state cannot be read. */
function regionSlots(
  plan: Plan,
  entry: WorkflowEntry,
  stateOf: StateOf,
): Record<RegionName, Set<number> | undefined> {
  const result: Record<RegionName, Set<number> | undefined> = { primary: new Set(), secondary: new Set() };
  for (const target of entryTargets(plan, entry)) {
    const seen = stateOf(target);
    if (seen === 'unknown') {
      result[target.region] = undefined;
      continue;
    }
    const slots = result[target.region];
    if (!slots || seen.state !== 'Enabled') continue;
    const fired = entry.role === 'split-recurrence' ? slotsOf(entry, target, seen.recurrence) : ALL_SLOTS;
    for (const s of fired) slots.add(s);
  }
  return result;
}

const mustNotOverlap = (entry: WorkflowEntry) => entry.role !== 'active-active';

export function overlapViolations(plan: Plan, stateOf: StateOf): SafetyViolation[] {
  const out: SafetyViolation[] = [];
  for (const entry of plan.workflows.filter(mustNotOverlap)) {
    const { primary, secondary } = regionSlots(plan, entry, stateOf);
    if (!primary || !secondary) continue; // One region is unreachable: the control plane cannot prevent it.
    const both = [...primary].filter((s) => secondary.has(s));
    if (both.length) {
      out.push({
        entry: entry.name,
        rule: SAFETY_RULES.noDualActive,
        message:
          entry.role === 'split-recurrence'
            ? `workflow "${entry.name}": both regions would run the same schedule slots (${both.length} of every ${SLOTS})`
            : `workflow "${entry.name}" (${entry.role}) is enabled in both regions`,
        targets: entryTargets(plan, entry).map((t) => t.label),
      });
    }
  }
  return out;
}

/** After failover (active = secondary) or failback (active = primary): every entry runs, split entries every slot. */
export function coverageViolations(plan: Plan, stateOf: StateOf, active: RegionName): SafetyViolation[] {
  const out: SafetyViolation[] = [];
  for (const entry of plan.workflows) {
    const slots = regionSlots(plan, entry, stateOf);
    const mine = slots[active];
    if (!mine) continue;
    const other = slots[active === 'primary' ? 'secondary' : 'primary'] ?? new Set<number>();
    const covered =
      entry.role === 'split-recurrence' ? new Set([...mine, ...(active === 'primary' ? other : [])]) : mine;
    const missing = ALL_SLOTS.filter((s) => !covered.has(s));
    if (missing.length) {
      out.push({
        entry: entry.name,
        rule: SAFETY_RULES.everyEntryRuns,
        message:
          entry.role === 'split-recurrence'
            ? `workflow "${entry.name}": ${missing.length} of every ${SLOTS} schedule slots would not run`
            : `workflow "${entry.name}" is not enabled in the ${active} region`,
        targets: entryTargets(plan, entry)
          .filter((t) => t.region === active)
          .map((t) => t.label),
      });
    }
  }
  return out;
}
