/**
 * Estate drift: has the estate moved away from what the last operation left it? While failed over (and while
 * monitoring after a failback) the monitor asks every few probe cycles. The check reads only the workflows of
 * the entries the last operation changed, holds each to the last step the operation completed on it, and lets
 * the readiness rules' safety judgement (core/safety.ts: nothing runs in both regions, every entry runs in the
 * active region) say what a departure means. Pure: states come in as a function.
 */
import type { Plan } from '../plan/schema';
import type { EntryResult } from './operation-record-types';
import type { PlannedAction, RegionName, StateOf, WorkflowTarget } from './operation-plan';
import { entryTargets } from './planner';
import { targetKey } from './refs';
import { SAFETY_RULES, coverageViolations, overlapViolations } from './safety';
import { expectedAfter, unmetExpectation } from './verify';

/** Probe cycles between two drift checks (app setting DR_DRIFT_CHECK_CYCLES; 0 turns the check off). */
export const DEFAULT_DRIFT_CHECK_CYCLES = 5;

export const DRIFT_RULES = {
  ...SAFETY_RULES,
  /** Not as the operation left it, though nothing runs twice or nowhere because of it. */
  expectedState: 'expected-state',
  expectedSchedule: 'expected-schedule',
} as const;
export type DriftRule = (typeof DRIFT_RULES)[keyof typeof DRIFT_RULES];

/** One workflow that departs from what the last operation left, and the rule that departure breaks. */
export interface DriftFinding {
  /** Target key and rule: one distinct drift, raised once and cleared once. */
  key: string;
  entry: string;
  /** The target's label, e.g. `secondary:order-webhook`. */
  workflow: string;
  region: RegionName;
  rule: DriftRule;
  /** One line, e.g. `secondary order-webhook is Disabled: runs nowhere`. */
  message: string;
}

/** What one drift check found: the drifts, and what it could not read (their drifts neither raised nor cleared). */
export interface DriftCheck {
  operationId: string;
  /** Workflows read. */
  checked: number;
  drift: DriftFinding[];
  /** Labels of workflows whose state could not be read. */
  unreadable: string[];
  /** Set when nothing was checked, and why (e.g. the operation's audit record could not be read). */
  skipped?: string;
}

/** A step the operation completed, as the expectation it leaves on its target. */
export interface LeftStep {
  entry: string;
  step: PlannedAction;
}

/**
 * What the operation left: per target, the last step it completed (done, or already so) on the target's state,
 * and the last on its schedule. Failed, blocked and pending steps left nothing to hold the estate to (the
 * operation's own outcome and the pending-fence alert report those).
 */
export function leftByOperation(entries: readonly EntryResult[]): LeftStep[] {
  const last = new Map<string, LeftStep>();
  for (const e of entries)
    for (const s of e.steps) {
      if (s.status !== 'done' && s.status !== 'noop') continue;
      const after = expectedAfter(s.action);
      if (!after || s.action.op === 'missing') continue;
      last.set(`${targetKey(s.action.target)}|${'state' in after ? 'state' : 'schedule'}`, {
        entry: e.entry,
        step: s.action,
      });
    }
  return [...last.values()];
}

/** The plan entries the operation changed (still in the plan) and every workflow of them: what a check reads. */
export function driftTargets(plan: Plan, left: readonly LeftStep[]): WorkflowTarget[] {
  const names = new Set(left.map((l) => l.entry));
  return plan.workflows.filter((w) => names.has(w.name)).flatMap((w) => entryTargets(plan, w));
}

const nameOf = (t: WorkflowTarget) => t.label.slice(t.label.indexOf(':') + 1);

/**
 * The drifts: each completed step whose target ARM now shows otherwise, named by workflow, region and the rule
 * the departure breaks. `runs in both regions` (no-dual-active) when the entry must not overlap and both
 * regions now run it; `runs nowhere` (every-entry-runs) when the active region no longer runs it; otherwise
 * the target is only not as the operation left it. Targets whose fence is pending are the pending-fence
 * alert's, and unreadable targets prove nothing: neither is reported.
 */
export function findDrift(
  plan: Plan,
  left: readonly LeftStep[],
  stateOf: StateOf,
  active: RegionName,
  pendingFences: ReadonlySet<string> = new Set(),
): DriftFinding[] {
  const out = new Map<string, DriftFinding>();
  for (const entry of plan.workflows) {
    const mine = left.filter((l) => l.entry === entry.name);
    if (mine.length === 0) continue;
    const alone: Plan = { ...plan, workflows: [entry] };
    const twice = overlapViolations(alone, stateOf).length > 0;
    const uncovered = coverageViolations(alone, stateOf, active).length > 0;
    const split = entry.role === 'split-recurrence';
    const runsSomewhere = entryTargets(plan, entry).some((t) => {
      const s = stateOf(t);
      return s !== 'unknown' && s.state === 'Enabled';
    });
    for (const { step } of mine) {
      const t = step.target;
      const seen = stateOf(t);
      if (seen === 'unknown' || pendingFences.has(targetKey(t))) continue;
      const unmet = unmetExpectation(step, seen, entry.schedule);
      if (!unmet) continue;
      const isState = 'state' in expectedAfter(step)!;
      const what = isState
        ? `is ${seen.state}`
        : 'does not run the schedule slots the last operation left it';
      const [rule, consequence]: [DriftRule, string] =
        twice && seen.state === 'Enabled'
          ? [
              DRIFT_RULES.noDualActive,
              split ? 'both regions run the same schedule slots' : 'runs in both regions',
            ]
          : uncovered && t.region === active
            ? [
                DRIFT_RULES.everyEntryRuns,
                split
                  ? 'some schedule slots run nowhere'
                  : runsSomewhere
                    ? `does not run in the ${active} region`
                    : 'runs nowhere',
              ]
            : isState
              ? [DRIFT_RULES.expectedState, unmet.replace(/^is [^,]+, /, '')]
              : [DRIFT_RULES.expectedSchedule, 'not as the last operation left it'];
      const key = `${targetKey(t)}|${rule}`;
      out.set(key, {
        key,
        entry: entry.name,
        workflow: t.label,
        region: t.region,
        rule,
        message: `${t.region} ${nameOf(t)} ${what}: ${consequence}`,
      });
    }
  }
  return [...out.values()];
}

/**
 * Which drifts are new (raise them) and which are gone (clear them), given the ones raised before: a drift
 * still there is not raised again, and one whose workflow could not be read this time is kept as it was.
 */
export function driftChanges(
  before: readonly DriftFinding[],
  check: Pick<DriftCheck, 'drift' | 'unreadable'>,
): { raised: DriftFinding[]; cleared: DriftFinding[]; standing: DriftFinding[] } {
  const known = new Set(before.map((d) => d.key));
  const found = new Set(check.drift.map((d) => d.key));
  const unreadable = new Set(check.unreadable);
  const raised = check.drift.filter((d) => !known.has(d.key));
  const cleared = before.filter((d) => !found.has(d.key) && !unreadable.has(d.workflow));
  const kept = before.filter((d) => !found.has(d.key) && unreadable.has(d.workflow));
  return { raised, cleared, standing: [...check.drift, ...kept] };
}
