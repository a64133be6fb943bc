/**
 * The runs in flight in the region an operation leaves, for the audit record and the `completed` notice: what
 * an operator may have to resubmit. Read after the last group (never on the critical path), bounded in time,
 * and never thrown: anything that could not be read is recorded as such.
 */
import { errorMessage } from '../core/errors';
import { placedRegion, regionPlacesOf } from '../core/notifications';
import { entryTargets, type RegionName, type WorkflowTarget } from '../core/planner';
import { targetKey } from '../core/refs';
import type { RunInFlight, RunsInFlight } from '../core/operation-record-types';
import { locatorFor } from '../estate/locate';
import type { ActivityContext } from './context';

/** Runs listed by name at most; the rest are counted. */
export const RUNS_IN_FLIGHT_CAP = 50;
/** How long the whole read may take: the closing record and notice wait at most this long for it. */
export const RUNS_IN_FLIGHT_BUDGET_MS = 15_000;
/** Workflows whose runs are listed at once. */
const LIST_CONCURRENCY = 8;

export function runsActivities({ plan, control, now }: ActivityContext) {
  const listRunsInFlight = async (input: {
    region: RegionName;
    /** Why the region is not asked at all (its ARM did not answer at planning). */
    skip?: string;
    budgetMs?: number;
  }): Promise<RunsInFlight> => {
    const { region } = input;
    const base = {
      region,
      location: plan[region].location,
      runs: [] as RunInFlight[],
      more: 0,
      unlisted: [] as string[],
    };
    if (input.skip) return { ...base, at: now().toISOString(), error: `could not list runs: ${input.skip}` };
    const seen = new Set<string>();
    const targets: { entry: string; target: WorkflowTarget }[] = [];
    for (const entry of plan.workflows)
      for (const target of entryTargets(plan, entry))
        if (target.region === region && !seen.has(targetKey(target))) {
          seen.add(targetKey(target));
          targets.push({ entry: entry.name, target });
        }
    const runs: RunInFlight[] = [];
    const unlisted: string[] = [];
    const errors: string[] = [];
    let next = 0;
    let answered = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < targets.length; i = next++) {
        const { entry, target } = targets[i]!;
        if (typeof target.ref !== 'string') {
          unlisted.push(
            `${target.label}: Logic Apps Standard runs are not listed through ARM (see the site's run history)`,
          );
          answered++;
          continue;
        }
        try {
          for (const run of await control.listRunningRuns(locatorFor(plan, target)))
            runs.push({
              entry,
              workflow: target.label,
              runId: run.name,
              ...(run.startTime ? { startTime: run.startTime } : {}),
              ...(run.trigger ? { trigger: run.trigger } : {}),
            });
        } catch (err) {
          errors.push(`${target.label}: ${errorMessage(err)}`);
        }
        answered++;
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const budgetMs = input.budgetMs ?? RUNS_IN_FLIGHT_BUDGET_MS;
    const finished = await Promise.race([
      Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, targets.length) }, worker)).then(
        () => true,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), budgetMs))),
    ]);
    clearTimeout(timer);
    const at = now().toISOString();
    const sorted = runs.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? ''));
    const listed = {
      runs: sorted.slice(0, RUNS_IN_FLIGHT_CAP),
      more: Math.max(0, sorted.length - RUNS_IN_FLIGHT_CAP),
    };
    const where = placedRegion(region, regionPlacesOf(plan));
    if (!finished) {
      // Workflows not yet answered when the budget ran out: what was read is kept, the rest named.
      return {
        ...base,
        ...listed,
        at,
        unlisted: [...unlisted, ...errors],
        error: `could not list runs: ${where} did not answer within ${budgetMs / 1000} s (${targets.length - answered} workflow(s) not listed)`,
      };
    }
    const nothingRead = errors.length > 0 && errors.length + unlisted.length === targets.length;
    return {
      ...base,
      ...listed,
      at,
      unlisted: [...unlisted, ...errors],
      ...(nothingRead ? { error: `could not list runs: ${errors[0]}` } : {}),
    };
  };
  return { listRunsInFlight };
}
