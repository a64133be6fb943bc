/**
 * The DR trigger rules for entries that declare neither `trigger` nor `definition`: the plan loader cannot
 * check them, so they are checked on the live definitions ARM returns, with the same rules, before every
 * failover or failback (and by `dr ready`, and at start-up). Pure: the caller reads ARM and hands results in.
 */
import { ClassificationInputError, classifyDeployed } from './classify';
import { isUndeclared, liveTriggerIssues, type PlanIssue } from './plan-rules';
import { entryTargets, type OperationPlan, type WorkflowTarget } from './planner';
import { DR_RULES } from './roles';
import type { Plan, WorkflowEntry } from '../plan/schema';

/** What ARM returned for one workflow (Standard workflows come without a definition). */
export interface LiveDefinition {
  definition?: Record<string, unknown> | undefined;
  parameters?: Record<string, unknown> | undefined;
}

export interface LiveRuleFindings {
  /** Entries checked on a live definition, by name, with what the rules found (empty: allowed). */
  checked: Map<string, PlanIssue[]>;
  /** Undeclared entries none of whose definitions could be read: nothing could be checked. */
  unchecked: { entry: string; why: string }[];
}

/**
 * Classifies each readable definition of every undeclared entry (or those `which` picks; secondary first: it
 * is what runs after a failover) and runs the load-time trigger rules on it. Both sides are checked, so a drifted pair is held to
 * the stricter of the two.
 */
export function checkLiveTriggerRules(
  plan: Plan,
  read: (target: WorkflowTarget) => LiveDefinition | undefined,
  which: (entry: WorkflowEntry) => boolean = isUndeclared,
): LiveRuleFindings {
  const checked = new Map<string, PlanIssue[]>();
  const unchecked: LiveRuleFindings['unchecked'] = [];
  plan.workflows.forEach((entry, index) => {
    if (!which(entry)) return;
    const targets = entryTargets(plan, entry).sort(
      (a, b) => Number(a.region === 'primary') - Number(b.region === 'primary'),
    );
    const issues: PlanIssue[] = [];
    let readable = 0;
    for (const target of targets) {
      const live = read(target);
      if (!live?.definition) continue;
      readable++;
      let triggers;
      try {
        triggers = classifyDeployed(live.definition, live.parameters, target.label);
      } catch (err) {
        if (!(err instanceof ClassificationInputError)) throw err;
        issues.push({
          path: ['workflows', index],
          entry: entry.name,
          rule: DR_RULES.unknownTrigger,
          message: `workflow "${entry.name}": the live definition of ${target.label} cannot be classified (${err.problem})`,
          fix: 'declare "trigger" (and "stateSide" for polling) in the plan',
        });
        continue;
      }
      for (const issue of liveTriggerIssues(entry, index, triggers, target.label)) {
        // One finding per rule: the twin's copy of the same trigger adds nothing.
        if (!issues.some((i) => i.rule === issue.rule)) issues.push(issue);
      }
    }
    if (readable === 0) {
      unchecked.push({
        entry: entry.name,
        why: 'no definition of it could be read through ARM',
      });
      return;
    }
    checked.set(entry.name, issues);
  });
  return { checked, unchecked };
}

/** One line an operator can act on: what is wrong, which rule, and the fix. */
export function refusalMessage(issues: readonly PlanIssue[]): string {
  return `refused by the DR rules, nothing of this entry was changed: ${issues
    .map(
      (i) =>
        `${i.message} [${i.rule}]; fix: ${i.fix} (or, if the live classification is wrong, declare "trigger" on the entry)`,
    )
    .join('; ')}`;
}

/**
 * Blocks the entries the live rules refuse: their steps are dropped, so none of their writes can run, and
 * `blocked` says why. The other entries are planned as before.
 */
export function blockRefusedEntries(op: OperationPlan, findings: LiveRuleFindings): OperationPlan {
  return {
    ...op,
    groups: op.groups.map((g) => ({
      ...g,
      entries: g.entries.map((e) => {
        const issues = findings.checked.get(e.entry);
        return issues?.length ? { ...e, steps: [], blocked: refusalMessage(issues) } : e;
      }),
    })),
  };
}
