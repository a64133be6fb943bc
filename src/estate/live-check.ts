/**
 * The start-up check of entries that left their trigger to the live definition: read them through ARM, run the
 * DR rules, log what they refuse. Advisory (every operation checks again and blocks a refused entry), and it
 * never throws, so an unreachable ARM cannot stop the control plane from starting.
 */
import { targetKey } from '../core/refs';
import type { LogicAppsControl } from '../adapters/logicapps/port';
import { blockRefusedEntries, checkLiveTriggerRules, type LiveRuleFindings } from '../core/live-rules';
import { isUndeclared } from '../core/plan-rules';
import { planOperation, type Direction, type OperationPlan, type PlanOptions } from '../core/planner';
import type { Plan } from '../plan/schema';
import { observePlan, type Observed } from './observe';
import { observeRouters, routerObservations, type ObservedRouter } from './routers';
import type { RouterControl } from '../adapters/routers/port';
import type { HealthProbe } from '../adapters/probe';
import { primaryUnfit } from './failback-gate';

export interface StartupLog {
  warn(message: string): void;
  error(message: string): void;
}

export async function checkLiveRulesAtStartup(
  plan: Plan,
  control: LogicAppsControl,
  log: StartupLog,
): Promise<LiveRuleFindings | undefined> {
  const undeclared = plan.workflows.filter(isUndeclared);
  if (undeclared.length === 0) return undefined;
  try {
    const observed = await observePlan({ ...plan, workflows: undeclared }, control);
    const findings = checkLiveTriggerRules(plan, (t) => observed.get(targetKey(t))?.info);
    for (const [entry, issues] of findings.checked) {
      for (const i of issues) {
        log.error(
          `plan ${plan.id}: ${i.message} [${i.rule}]; fix: ${i.fix}. Failovers and failbacks will block "${entry}" until the plan is fixed.`,
        );
      }
    }
    for (const u of findings.unchecked) {
      log.warn(
        `plan ${plan.id}: workflow "${u.entry}" declares no trigger and ${u.why}; its DR rules are checked again before every failover or failback`,
      );
    }
    return findings;
  } catch (err) {
    // Any failure: this check is advisory and unawaited (every operation checks again), so it is logged, not thrown.
    log.warn(`plan ${plan.id}: the start-up check of live triggers failed: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * The operation plan from what ARM said just now, as the orchestration, `dr whatif` and the HTTP dry run all
 * see it: the planner's steps, with entries whose live trigger the DR rules refuse blocked.
 */
export function planFromObserved(
  plan: Plan,
  direction: Direction,
  observed: ReadonlyMap<string, Observed>,
  kind: 'planned' | 'emergency',
  routers: ReadonlyMap<string, ObservedRouter> = new Map(),
  options: PlanOptions = {},
): OperationPlan {
  return blockRefusedEntries(
    planOperation(plan, direction, (t) => observed.get(targetKey(t))?.observation, kind, {
      ...options,
      observeRouter: routerObservations(routers),
    }),
    checkLiveTriggerRules(plan, (t) => observed.get(targetKey(t))?.info),
  );
}

/**
 * Reads the estate (workflows and routers) and plans from it: the planning activity, `dr whatif` and the HTTP
 * dry run all plan this one way. `unreadable`: what did not answer (workflows and routers, by label). With a
 * `gate` (a failback), its health probe decides, as the real failback's does, whether every entry is held.
 */
export async function planFromEstate(
  plan: Plan,
  direction: Direction,
  kind: 'planned' | 'emergency',
  control: LogicAppsControl,
  routers: RouterControl | undefined,
  gate?: { probe: HealthProbe; now: Date },
): Promise<{ op: OperationPlan; observed: Map<string, Observed>; unreadable: string[] }> {
  const [observed, routed, unfit] = await Promise.all([
    observePlan(plan, control),
    observeRouters(plan, control, routers),
    direction === 'failback' && gate ? primaryUnfit(gate.probe, plan, gate.now) : undefined,
  ]);
  const unreadable = [
    ...[...observed.values()].filter((o) => !o.observation.reachable).map((o) => o.target.label),
    ...[...routed.values()].filter((o) => !o.observation.reachable).map((o) => o.target.label),
  ];
  return {
    op: planFromObserved(plan, direction, observed, kind, routed, unfit ? { unfit } : {}),
    observed,
    unreadable,
  };
}
