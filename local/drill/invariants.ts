/**
 * The drill's invariants, computed from what the simulated estate recorded (its state-change log and its
 * runs), never from what the control plane says it did. Pure: data in, findings out.
 */
import { durationMs } from '../../src/core/duration';
import { entryTargets, type WorkflowTarget } from '../../src/core/planner';
import { normaliseLocation } from '../../src/core/plan-rules';
import { overlapViolations } from '../../src/core/safety';
import { slotIndex } from '../../src/core/schedule';
import type { Plan, WorkflowEntry } from '../../src/plan/schema';

/** A workflow state transition as `GET /sim/state-changes` reports it. */
export interface StateChangeRecord {
  seq: number;
  workflowId: string;
  region: string;
  to: string;
  /** Wall-clock time of the change. */
  realTime: string;
}

/** A run as `GET /sim/runs` reports it. */
export interface RunRecord {
  workflowId: string;
  region: string;
  origin: string;
  slotTime: string;
}

/** When a region was down (wall-clock ms); `to` undefined while it still is. */
export interface DownWindow {
  region: string;
  from: number;
  to?: number;
}

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** One line saying what was checked. */
  detail: string;
  problems: string[];
}

const isRewrite = (entry: WorkflowEntry): boolean =>
  typeof entry.primary === 'object' && 'mode' in entry.primary;

/** Lower-cased `sub/rg/name` or `sub/rg/sites/site/name`, the key plan targets carry, from an ARM id. */
export function targetKeyOfResourceId(id: string): string | undefined {
  const consumption =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)$/i.exec(
      id,
    );
  if (consumption) return `${consumption[1]}/${consumption[2]}/${consumption[3]}`.toLowerCase();
  const standard =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\/([^/]+)\/workflows\/([^/]+)$/i.exec(
      id,
    );
  if (standard) return `${standard[1]}/${standard[2]}/sites/${standard[3]}/${standard[4]}`.toLowerCase();
  return undefined;
}

const targetId = (t: WorkflowTarget): string => `${t.region}|${t.key}`;

/** Maps a simulator workflow (id + region) to the plan target it is, if any. */
function targetIndex(plan: Plan): (workflowId: string, region: string) => string | undefined {
  const known = new Set(plan.workflows.flatMap((e) => entryTargets(plan, e)).map(targetId));
  return (workflowId, region) => {
    const key = targetKeyOfResourceId(workflowId);
    if (!key) return undefined;
    const side =
      region === plan.primary.location
        ? 'primary'
        : region === plan.secondary.location
          ? 'secondary'
          : undefined;
    const id = side ? `${side}|${key}` : undefined;
    return id && known.has(id) ? id : undefined;
  };
}

const isDownAt = (windows: readonly DownWindow[], region: string, at: number): boolean =>
  windows.some((w) => w.region === region && w.from <= at && (w.to === undefined || at < w.to));

const inGrace = (windows: readonly DownWindow[], at: number, graceMs: number): boolean =>
  windows.some((w) => w.to !== undefined && at >= w.to && at < w.to + graceMs);

/**
 * No split-brain: replaying the state log, at no instant in [from, to] was a must-not-overlap workflow
 * effectively enabled in both regions. A region that is down runs nothing; for `graceMs` after a region
 * returns its pending fences are still being applied (nothing can fence a region before it answers).
 * Rewrite-mode split entries are left to the slot check (their overlap is in the recurrence, not the state).
 */
export function checkNoSplitBrain(
  plan: Plan,
  changes: readonly StateChangeRecord[],
  window: { from: number; to: number; down: readonly DownWindow[]; graceMs: number },
): InvariantResult {
  const indexOf = targetIndex(plan);
  const sorted = [...changes].sort((a, b) => a.seq - b.seq);
  const checked: Plan = { ...plan, workflows: plan.workflows.filter((e) => !isRewrite(e)) };
  const state = new Map<string, string>();
  let next = 0;
  const apply = (until: number): void => {
    while (next < sorted.length && Date.parse(sorted[next]!.realTime) <= until) {
      const c = sorted[next++]!;
      const id = indexOf(c.workflowId, c.region);
      if (id) state.set(id, c.to);
    }
  };
  const instants = [
    window.from,
    ...sorted.map((c) => Date.parse(c.realTime)),
    ...window.down.flatMap((w) => [w.from, ...(w.to !== undefined ? [w.to, w.to + window.graceMs] : [])]),
  ]
    .filter((t) => t >= window.from && t <= window.to)
    .sort((a, b) => a - b);
  const problems: string[] = [];
  const reported = new Set<string>();
  for (const at of new Set(instants)) {
    apply(at);
    if (inGrace(window.down, at, window.graceMs)) continue;
    const violations = overlapViolations(checked, (t) => {
      const enabled =
        state.get(targetId(t)) === 'Enabled' && !isDownAt(window.down, plan[t.region].location, at);
      return { state: enabled ? 'Enabled' : 'Disabled' };
    });
    for (const v of violations) {
      if (reported.has(v.entry)) continue; // One line per entry: the first instant it happened.
      reported.add(v.entry);
      problems.push(`${new Date(at).toISOString()}: ${v.message} (${v.targets.join(', ')})`);
    }
  }
  return {
    name: 'no-split-brain',
    ok: problems.length === 0,
    detail: `no must-not-overlap workflow enabled in two live regions at once, from the simulator's state log (${sorted.length} changes, ${window.graceMs} ms grace after a region returns)`,
    problems,
  };
}

export interface SlotWindow {
  /** The failover decision: slots after it are checked. */
  detectedAt: number;
  /** The failover's last action verified: from here on every slot must run (before, it may be lost). */
  coveredFrom: number;
  /** Slots up to here are checked (leave the last slot time to settle). */
  until: number;
  down: readonly DownWindow[];
  graceMs: number;
}

/**
 * Every split slot after detection ran at most once; every slot after the failover was verified ran exactly
 * once (a slot between detection and actuation may be lost with the region, never run twice). Slots in the
 * grace period after a region returns are reported, not failed, when they ran twice.
 */
export function checkSplitSlots(plan: Plan, runs: readonly RunRecord[], window: SlotWindow): InvariantResult {
  const indexOf = targetIndex(plan);
  const problems: string[] = [];
  const notes: string[] = [];
  let slotsChecked = 0;
  for (const entry of plan.workflows.filter((e) => e.role === 'split-recurrence' && e.schedule)) {
    const schedule = entry.schedule!;
    const mine = new Set(entryTargets(plan, entry).map(targetId));
    const counts = new Map<number, string[]>();
    for (const run of runs) {
      if (run.origin !== 'recurrence') continue;
      const id = indexOf(run.workflowId, run.region);
      if (!id || !mine.has(id)) continue;
      const at = Date.parse(run.slotTime);
      if (at <= window.detectedAt || at > window.until) continue;
      const k = slotIndex(schedule, new Date(at));
      if (k === undefined) {
        problems.push(`${entry.name}: a run at ${run.slotTime} is off the ${schedule.every} slot grid`);
        continue;
      }
      counts.set(k, [...(counts.get(k) ?? []), run.region]);
    }
    const every = durationMs(schedule.every);
    const anchor = Date.parse(schedule.anchor);
    const first = Math.floor((window.detectedAt - anchor) / every) + 1;
    const last = Math.floor((window.until - anchor) / every);
    for (let k = first; k <= last; k++) {
      const at = anchor + k * every;
      const ran = counts.get(k) ?? [];
      const when = new Date(at).toISOString();
      slotsChecked += 1;
      if (ran.length > 1) {
        const line = `${entry.name}: slot ${when} ran ${ran.length} times (${ran.join(', ')})`;
        if (inGrace(window.down, at, window.graceMs))
          notes.push(`${line}, within the grace after the region returned`);
        else problems.push(line);
      } else if (ran.length === 0 && at >= window.coveredFrom) {
        problems.push(`${entry.name}: slot ${when} did not run in either region`);
      }
    }
  }
  return {
    name: 'split-slots-exactly-once',
    ok: problems.length === 0,
    detail: `${slotsChecked} split slot(s) after detection, from the simulator's runs: none twice, none skipped once the failover was verified${notes.length ? `; note: ${notes.join('; ')}` : ''}`,
    problems,
  };
}

/** One call the drill sent through an entry's router (wall-clock ms), and what became of it. */
export interface RouterCall {
  at: number;
  entry: string;
  outcome: 'ran' | 'refused' | 'unreachable' | 'nowhere';
  region?: string;
  fate: string;
  /** The runtime's HTTP status when it refused the call. */
  status?: number;
  /** The runtime's error code when it refused the call (`WorkflowDisabled`: the router sent it to a disabled workflow). */
  code?: string;
}

/**
 * Callers through the router, all drill long: none routed nowhere, none reaching a disabled workflow, none sent
 * with another region's sig (401), and once
 * the failover finished every call ran in the secondary until the region returned, and once the failback
 * finished every call ran in the primary. Calls to the primary while it was down, before the switch, fail
 * with the region and are allowed. Each phase must have calls, so the check cannot pass by sending none.
 */
export function checkRouterTraffic(
  calls: readonly RouterCall[],
  marks: { failoverDoneAt?: number; restoredAt?: number; failbackDoneAt?: number },
  regions: { primary: string; secondary: string },
): InvariantResult {
  const problems: string[] = [];
  const at = (c: RouterCall) => `${new Date(c.at).toISOString()} ${c.entry}`;
  for (const c of calls) {
    if (c.outcome === 'nowhere') problems.push(`${at(c)}: routed nowhere (${c.fate})`);
    if (c.outcome === 'refused' && c.code === 'WorkflowDisabled')
      problems.push(`${at(c)}: reached a disabled workflow in ${c.region ?? '?'}`);
    // The router sent a callback URL without its region's sig (a switch seen half-written).
    if (c.outcome === 'refused' && c.status === 401)
      problems.push(`${at(c)}: refused 401 in ${c.region ?? '?'}: sent without that region's sig`);
  }
  const phase = (name: string, from: number | undefined, to: number | undefined, region: string): void => {
    if (from === undefined) return;
    const inPhase = calls.filter((c) => c.at > from && (to === undefined || c.at < to));
    if (inPhase.length === 0) problems.push(`no call was sent ${name}`);
    for (const c of inPhase)
      if (c.outcome !== 'ran' || c.region !== normaliseLocation(region))
        problems.push(`${at(c)}: ${name} it went ${c.fate}, not ran:${normaliseLocation(region)}`);
  };
  phase('after the failover', marks.failoverDoneAt, marks.restoredAt, regions.secondary);
  phase('after the failback', marks.failbackDoneAt, undefined, regions.primary);
  const entries = [...new Set(calls.map((c) => c.entry))];
  return {
    name: 'router-traffic',
    ok: problems.length === 0,
    detail: `${calls.length} calls through the router of ${entries.join(', ') || 'no entry'}: none routed nowhere, none to a disabled workflow; after the failover all ran in ${regions.secondary}, after the failback all in ${regions.primary}`,
    problems,
  };
}
