/**
 * The scenario checker: from the simulator's state-change log and run records alone (not from what the control
 * plane says it did), prove that
 * - no must-not-overlap workflow was effectively enabled in both regions at any instant the control plane
 *   controlled (a region that is down runs nothing; right after a region returns, its pending fences get one
 *   probe interval of grace: nothing can fence a region before it answers), and a returning region's workflow
 *   that would overlap the region running its entry is fenced within that grace, and
 * - after detection, every slot of every split schedule ran exactly once (none twice, none skipped).
 */
import { durationMs } from '../../src/core/duration';
import { entryTargets, type WorkflowTarget } from '../../src/core/planner';
import { overlapViolations } from '../../src/core/safety';
import { slotIndex } from '../../src/core/schedule';
import type { Plan } from '../../src/plan/schema';
import type { Estate } from './estate';

const keyOf = (w: { subscriptionId: string; resourceGroup: string; name: string; site?: string }) =>
  (w.site
    ? `${w.subscriptionId}/${w.resourceGroup}/sites/${w.site}/${w.name}`
    : `${w.subscriptionId}/${w.resourceGroup}/${w.name}`
  ).toLowerCase();

export interface InvariantOptions {
  /** Virtual time of detection (the failover decision): slots after it must all run exactly once. */
  detectedAt: number;
  /** Slots up to this virtual time are checked (default: now minus one minute, so in-flight slots settle). */
  until?: number;
}

export function checkInvariants(estate: Estate, opts: InvariantOptions): string[] {
  const { plan, sim } = estate;
  const problems: string[] = [];
  const workflows = sim.workflows();
  const idByTarget = new Map<string, string>();
  for (const w of workflows) idByTarget.set(`${w.region}|${keyOf(w)}`, w.id);
  const targetId = (t: WorkflowTarget) => idByTarget.get(`${plan[t.region].location}|${t.key}`);

  const grace = durationMs(plan.policy.probeInterval) + 1_000;
  const down = estate.faults.filter((f) => f.kind === 'down');
  const isDown = (region: string, at: number) =>
    down.some((f) => f.region === region && f.from <= at && (f.to === undefined || at < f.to));
  const inGrace = (at: number) => down.some((f) => f.to !== undefined && at >= f.to && at < f.to + grace);

  // 1. No dual-active, replaying the state log change by change.
  const state = new Map<string, string>();
  const changes = [...sim.stateChanges()].sort((a, b) => a.seq - b.seq);
  const checkpoints = [
    ...new Set([
      ...changes.map((c) => Date.parse(c.virtualTime)),
      // The end of each grace too: a dual-active that began at the return must be over by then.
      ...down.flatMap((f) => [f.from, ...(f.to !== undefined ? [f.to, f.to + grace] : [])]),
    ]),
  ].sort((a, b) => a - b);
  const overlapPlan: Plan = {
    ...plan,
    workflows: plan.workflows.filter((e) => !(typeof e.primary === 'object' && 'mode' in e.primary)),
  };
  let next = 0;
  for (const at of checkpoints) {
    while (next < changes.length && Date.parse(changes[next]!.virtualTime) <= at) {
      const c = changes[next++]!;
      state.set(c.workflowId, c.to);
    }
    if (inGrace(at)) continue;
    const violations = overlapViolations(overlapPlan, (t) => {
      const id = targetId(t);
      const s = id ? state.get(id) : undefined;
      return { state: s === 'Enabled' && !isDown(plan[t.region].location, at) ? 'Enabled' : 'Disabled' };
    });
    for (const v of violations) problems.push(`${new Date(at).toISOString()}: ${v.message}`);
  }
  const stateAt = (id: string, at: number) =>
    changes.filter((c) => c.workflowId === id && Date.parse(c.virtualTime) <= at).at(-1)?.to;
  const failedOverAt = estate
    .operations()
    .map((o) => o.output?.timeline[0]?.at)
    .filter((x): x is string => x !== undefined)
    .map(Date.parse);
  /** Would `t`, left enabled, make its entry run in both regions at `at` (everything else as it was then)? */
  const wouldOverlap = (entry: Plan['workflows'][number], t: WorkflowTarget, at: number) =>
    overlapViolations({ ...plan, workflows: [entry] }, (x) => {
      if (x.region === t.region && x.key === t.key) return { state: 'Enabled' };
      const id = targetId(x);
      const s = id ? stateAt(id, at) : undefined;
      return { state: s === 'Enabled' && !isDown(plan[x.region].location, at) ? 'Enabled' : 'Disabled' };
    }).length > 0;
  for (const f of down.filter((w) => w.to !== undefined && failedOverAt.some((t) => t <= w.to!))) {
    // A region that returns after a failover must have its pending fences applied within the grace period:
    // every workflow there that would overlap the other region's (an entry held in place is not fenced).
    for (const entry of plan.workflows.filter((e) => e.role !== 'active-active')) {
      for (const t of entryTargets(plan, entry).filter(
        (x) => x.region === 'primary' && plan.primary.location === f.region,
      )) {
        const id = targetId(t);
        if (!id || stateAt(id, f.to!) !== 'Enabled' || !wouldOverlap(entry, t, f.to! + grace)) continue;
        const fenced = changes.find(
          (c) => c.workflowId === id && c.to === 'Disabled' && Date.parse(c.virtualTime) >= f.to!,
        );
        if (!fenced || Date.parse(fenced.virtualTime) >= f.to! + grace)
          problems.push(`${t.label} was not fenced within ${grace} ms of ${f.region} returning`);
      }
    }
  }

  // 2. Split slots after detection: exactly once each.
  const until = opts.until ?? sim.clock.now().getTime() - 60_000;
  const runs = sim.runs();
  for (const entry of plan.workflows.filter((e) => e.role === 'split-recurrence' && e.schedule)) {
    const schedule = entry.schedule!;
    const ids = new Set(
      entryTargets(plan, entry)
        .map(targetId)
        .filter((x): x is string => x !== undefined),
    );
    const counts = new Map<number, number>();
    for (const run of runs.filter((r) => ids.has(r.workflowId) && r.origin === 'recurrence')) {
      const at = Date.parse(run.slotTime);
      if (at <= opts.detectedAt || at > until || inGrace(at)) continue;
      const k = slotIndex(schedule, new Date(at));
      if (k === undefined) problems.push(`${entry.name}: a run at ${run.slotTime} is off the slot grid`);
      else counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const every = durationMs(schedule.every);
    const anchor = Date.parse(schedule.anchor);
    const first = Math.floor((opts.detectedAt - anchor) / every) + 1;
    const last = Math.floor((until - anchor) / every);
    for (let k = first; k <= last; k++) {
      const at = anchor + k * every;
      if (inGrace(at)) continue;
      const n = counts.get(k) ?? 0;
      if (n !== 1) problems.push(`${entry.name}: slot ${new Date(at).toISOString()} ran ${n} times`);
    }
  }
  return problems;
}
