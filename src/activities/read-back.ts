/** Reading back what a group changed, and the safety check just before a group runs. */
import { targetKey } from '../core/refs';
import { observeTargets, type Observed } from '../estate/observe';
import {
  entryTargets,
  planOperation,
  type Direction,
  type EntryPlan,
  type WorkflowTarget,
} from '../core/planner';
import { coverageViolations, overlapViolations, type StateOf } from '../core/safety';
import { deferredTargets, violationsAfterEntry } from '../core/preflight';
import { unmetExpectation } from '../core/verify';
import type { Plan } from '../plan/schema';
import type { GroupCheck, ReadBackReport } from '../durable/contracts';
import { READ_BACK_BACKOFF, backoffMs } from '../durable/retries';
import type { ActivityContext } from './context';
import { stateOfObserved } from './planning';

/** Reads of one target during a read-back, spaced as READ_BACK_BACKOFF says (100 ms doubling to 2 s). */
const READ_BACK_ATTEMPTS = 6;

export function readBackActivities({ plan, control, now }: ActivityContext) {
  /**
   * Reads the targets (list pages where they share a resource group or a site, GETs otherwise); a read ARM
   * answered with an error is tried again the same way, after a pause: a flaky read is not a mismatch.
   */
  const readAgainOnError = async (targets: readonly WorkflowTarget[]): Promise<Observed[]> => {
    const read = await observeTargets(plan, control, targets);
    for (let attempt = 1; attempt < READ_BACK_ATTEMPTS; attempt++) {
      const again = read.flatMap((o, i) => ('error' in o.observation && o.observation.reachable ? [i] : []));
      if (again.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(READ_BACK_BACKOFF, attempt)));
      const seen = await observeTargets(
        plan,
        control,
        again.map((i) => read[i]!.target),
      );
      again.forEach((i, k) => (read[i] = seen[k]!));
    }
    return read;
  };
  const readBackTarget = async (target: WorkflowTarget) => (await readAgainOnError([target]))[0]!;

  const readBack = async (input: {
    direction: Direction;
    group: number;
    entries: string[];
    /** Target keys of fences left pending: their region did not answer, so they are not read again. */
    pending?: string[];
  }): Promise<ReadBackReport> => {
    const names = new Set(input.entries);
    const pending = new Set(input.pending ?? []);
    const entries = plan.workflows.filter((w) => names.has(w.name));
    const sub: Plan = { ...plan, workflows: entries };
    const targets = entries.flatMap((e) => entryTargets(plan, e));
    const toRead = targets.filter((t) => !pending.has(targetKey(t)));
    // Workflows sharing a resource group (or a site) are read back together: list pages, not one GET each.
    const read = await readAgainOnError(toRead);
    const readByKey = new Map(read.map((o) => [targetKey(o.target), o]));
    const observed = new Map(
      targets.map((t): [string, Observed] => [
        targetKey(t),
        readByKey.get(targetKey(t)) ?? {
          target: t,
          observation: { reachable: false, error: 'fence pending: its region did not answer' },
        },
      ]),
    );
    const wanted = planOperation(sub, input.direction, () => undefined);
    const mismatches: string[] = [];
    for (const entry of wanted.groups.flatMap((g) => g.entries)) {
      const schedule = entries.find((e) => e.name === entry.entry)?.schedule;
      for (const action of entry.steps) {
        const o = observed.get(targetKey(action.target))?.observation;
        if (!o || !('state' in o) || o.error) continue; // Unverified: reported as unreadable below.
        const unmet = unmetExpectation(action, o, schedule);
        if (unmet) mismatches.push(`${action.target.label} ${unmet}`);
      }
    }
    const stateOf = stateOfObserved(observed);
    const active = input.direction === 'failover' ? 'secondary' : 'primary';
    // The region taking over answers but would not show its state: the failover is not verified there.
    for (const o of observed.values()) {
      if (o.target.region === active && o.observation.reachable && 'error' in o.observation)
        mismatches.push(`${o.target.label} could not be read back: ${o.observation.error}`);
    }
    return {
      group: input.group,
      at: now().toISOString(),
      mismatches,
      violations: [...overlapViolations(sub, stateOf), ...coverageViolations(sub, stateOf, active)].map(
        (v) => ({ entry: v.entry, rule: v.rule, message: v.message }),
      ),
      unreadable: [...observed.values()]
        .filter((o) => !o.observation.reachable || 'error' in o.observation)
        .map((o) => o.target.label),
    };
  };

  /**
   * The safety check before a group: reads the targets whose fences were deferred at planning (every other
   * target ends as the entry's steps set it) and reports the `no-dual-active` violations the entries would
   * leave. One read per region first: a region that still does not answer costs one refused call, not one each.
   */
  const checkGroup = async (input: { group: number; entries: EntryPlan[] }): Promise<GroupCheck> => {
    const deferred = input.entries.flatMap(deferredTargets);
    const observed = new Map<string, Observed>();
    for (const region of new Set(deferred.map((t) => t.region))) {
      const [first, ...rest] = deferred.filter((t) => t.region === region);
      const seen = await readBackTarget(first!);
      observed.set(targetKey(first!), seen);
      if (!seen.observation.reachable) continue;
      for (const o of await Promise.all(rest.map((t) => readBackTarget(t))))
        observed.set(targetKey(o.target), o);
    }
    const live: StateOf = (t) => {
      const o = observed.get(targetKey(t))?.observation;
      return o?.reachable && 'exists' in o && o.exists === false
        ? { state: 'Disabled' } // Deleted since planning: runs nothing.
        : stateOfObserved(observed)(t);
    };
    const stillUnknown = deferred.filter((t) => live(t) === 'unknown');
    return {
      group: input.group,
      at: now().toISOString(),
      source: 'live',
      read: [...observed.values()].map((o) => o.target.label),
      unreadable: stillUnknown.map((t) => t.label),
      violations: input.entries.flatMap((entry) =>
        violationsAfterEntry(plan, entry, live).map((v) => {
          const back = deferredTargets(entry).filter((t) => {
            const s = live(t);
            return s !== 'unknown' && s.state === 'Enabled';
          });
          const why = back.length
            ? `${back.map((t) => t.label).join(', ')} answered again and is Enabled, but this operation deferred its fence (its region did not answer at planning)`
            : 'a target its steps leave alone is Enabled';
          return { entry: v.entry, rule: v.rule, message: `${why}; after its steps ${v.message}` };
        }),
      ),
    };
  };

  return { readBack, checkGroup };
}
