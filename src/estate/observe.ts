/** Reads what ARM says about every workflow of a plan, without ever throwing for one workflow's failure. */
import { ArmTerminalError, ArmTransientError, isArmFailure } from '../adapters/arm/errors';
import type {
  LogicAppsControl,
  ResourceGroupScope,
  SiteScope,
  WorkflowInfo,
  WorkflowLocator,
} from '../adapters/logicapps/port';
import { entryTargets, type WorkflowObservation, type WorkflowTarget } from '../core/planner';
import { targetKey } from '../core/refs';
import type { Plan } from '../plan/schema';
import { locatorFor } from './locate';

export interface Observed {
  target: WorkflowTarget;
  observation: WorkflowObservation;
  info?: WorkflowInfo;
}

/** The recurrence of the workflow's (single or named) Recurrence trigger, for slot comparisons. */
export function recurrenceOf(info: WorkflowInfo, triggerName?: string): unknown {
  const triggers = (info.definition?.triggers ?? {}) as Record<
    string,
    { type?: string; recurrence?: unknown }
  >;
  if (triggerName) return triggers[triggerName]?.recurrence;
  const recurring = Object.values(triggers).filter((t) => /^(Recurrence|SlidingWindow)$/i.test(t.type ?? ''));
  return recurring.length === 1 ? recurring[0]!.recurrence : undefined;
}

/** What a successful read (a GET, a list item or a site's settings) says about one target. */
function observedFrom(target: WorkflowTarget, info: WorkflowInfo): Observed {
  const recurrence = recurrenceOf(info);
  return {
    target,
    info,
    observation: {
      reachable: true,
      state: info.state,
      ...(recurrence !== undefined ? { recurrence } : {}),
      ...(info.revision ? { revision: info.revision } : {}),
    },
  };
}

/** What a failed read says about one target; an error that is not ARM's answer (a bug) is thrown on. */
function failedFrom(target: WorkflowTarget, err: unknown): Observed {
  if (!isArmFailure(err)) throw err;
  if (err instanceof ArmTerminalError && err.status === 404) {
    return { target, observation: { reachable: true, exists: false } };
  }
  // Only a region whose ARM does not answer at all is unreachable (its fences wait). One that answers with
  // errors is there: we must still try to fence it, and block what a failed fence would protect.
  if (isNoAnswer(err)) {
    return { target, observation: { reachable: false, error: err.message } };
  }
  return { target, observation: { reachable: true, state: 'Unknown', error: err.message } };
}

const isNoAnswer = (err: unknown): err is ArmTransientError =>
  err instanceof ArmTransientError && err.status === undefined;

export async function observeTarget(
  plan: Plan,
  control: LogicAppsControl,
  target: WorkflowTarget,
): Promise<Observed> {
  try {
    return observedFrom(target, await control.getWorkflow(locatorFor(plan, target)));
  } catch (err) {
    return failedFrom(target, err);
  }
}

/** Reads in flight at once: far above what ARM's read bucket sustains, low enough to stop early. */
const READ_CONCURRENCY = 32;
/** A region whose ARM refused this many reads in a row, with no success between, is taken as down. */
const REGION_DOWN_AFTER = 3;
/**
 * `$top` of a list read. The spec sets no maximum; 100 keeps a page of full definitions to a few hundred KB
 * while 1000 workflows of a resource group cost 10 reads instead of 1000.
 */
export const LIST_PAGE_SIZE = 100;

export interface ObserveOptions {
  /** `$top` of Workflows_ListByResourceGroup reads (default LIST_PAGE_SIZE). */
  listPageSize?: number;
}

/**
 * Targets read together: consumption workflows sharing a resource group (listed page by page), Standard
 * workflows sharing a site (one site read and one settings read). Alone in its scope, a target is read by GET.
 */
export type Batch =
  | { kind: 'list'; region: string; scope: ResourceGroupScope; indices: number[] }
  | { kind: 'site'; region: string; scope: SiteScope; indices: number[] };

/** A batch read the region's ARM did not answer at all: every target of the batch is unreachable. */
interface NoAnswer {
  noAnswer: ArmTransientError;
}

const consumptionName = (l: WorkflowLocator) => ('name' in l ? l.name.toLowerCase() : undefined);

export function batchesOf(plan: Plan, targets: readonly WorkflowTarget[]): Batch[] {
  const groups = new Map<string, Batch & { names: Set<string> }>();
  targets.forEach((target, i) => {
    const l = locatorFor(plan, target);
    const base = `${target.region}|${l.subscriptionId}|${l.resourceGroup}`.toLowerCase();
    const key = 'site' in l ? `${base}|site|${l.site.toLowerCase()}` : base;
    let g = groups.get(key);
    if (!g) {
      g =
        'site' in l
          ? {
              kind: 'site',
              region: target.region,
              scope: { subscriptionId: l.subscriptionId, resourceGroup: l.resourceGroup, site: l.site },
              indices: [],
              names: new Set(),
            }
          : {
              kind: 'list',
              region: target.region,
              scope: { subscriptionId: l.subscriptionId, resourceGroup: l.resourceGroup },
              indices: [],
              names: new Set(),
            };
      groups.set(key, g);
    }
    g.indices.push(i);
    g.names.add('site' in l ? l.workflow.toLowerCase() : l.name.toLowerCase());
  });
  return [...groups.values()].filter((g) => g.names.size >= 2).map(({ names: _names, ...g }) => g);
}

/**
 * One resource group's targets from its list pages. Paging stops once every target was seen, or once it has
 * cost as many reads as one GET per target would (a large group the plan uses little of): the targets still
 * missing are then left to GETs (`undefined`), so a batch never costs more than twice its GETs. A target
 * absent from a complete listing does not exist.
 */
async function observeListed(
  plan: Plan,
  control: LogicAppsControl,
  scope: ResourceGroupScope,
  targets: readonly WorkflowTarget[],
  top: number,
): Promise<(Observed | undefined)[] | NoAnswer> {
  const nameOf = (t: WorkflowTarget) => consumptionName(locatorFor(plan, t))!;
  const wanted = new Set(targets.map(nameOf));
  const found = new Map<string, WorkflowInfo>();
  let pages = 0;
  let complete = true;
  try {
    for await (const page of control.listWorkflows(scope, { top })) {
      pages += 1;
      for (const w of page) if (wanted.has(w.name.toLowerCase())) found.set(w.name.toLowerCase(), w.info);
      if (found.size === wanted.size) break;
      if (pages >= wanted.size) {
        complete = false;
        break;
      }
    }
  } catch (err) {
    if (isNoAnswer(err)) return { noAnswer: err };
    // Throttled or failing (429, 5xx): a GET per target would only meet the same answer, a thousand times.
    if (err instanceof ArmTransientError) return targets.map((t) => failedFrom(t, err));
    // Refused (e.g. no read permission at resource-group scope, which roles on single workflows do not give):
    // each target is read by GET instead.
    if (err instanceof ArmTerminalError) return targets.map(() => undefined);
    throw err;
  }
  return targets.map((t) => {
    const info = found.get(nameOf(t));
    if (info) return observedFrom(t, info);
    return complete ? { target: t, observation: { reachable: true, exists: false } } : undefined;
  });
}

async function observeSite(
  plan: Plan,
  control: LogicAppsControl,
  scope: SiteScope,
  targets: readonly WorkflowTarget[],
): Promise<Observed[] | NoAnswer> {
  const nameOf = (t: WorkflowTarget) => {
    const l = locatorFor(plan, t);
    return 'site' in l ? l.workflow : '';
  };
  try {
    const infos = await control.getSiteWorkflows(scope, targets.map(nameOf));
    return targets.map((t) => observedFrom(t, infos.get(nameOf(t))!));
  } catch (err) {
    // Every target of the site would have met the same answer one by one.
    return isNoAnswer(err) ? { noAnswer: err } : targets.map((t) => failedFrom(t, err));
  }
}

const notRead = (target: WorkflowTarget): Observed => ({
  target,
  observation: {
    reachable: false,
    error: `not read: the ${target.region} region's ARM did not answer ${REGION_DOWN_AFTER} reads in a row`,
  },
});

/**
 * The targets, in order: batches first (list pages per resource group, one settings read per site), then GETs
 * for the rest, in parallel (the adapter's throttle paces the reads). Once a region's ARM has not answered
 * several reads in a row, its remaining targets are marked unreachable without asking: a thousand refused
 * reads would only spend the subscription's read bucket and delay the failover.
 */
export async function observeTargets(
  plan: Plan,
  control: LogicAppsControl,
  targets: readonly WorkflowTarget[],
  options: ObserveOptions = {},
): Promise<Observed[]> {
  const top = options.listPageSize ?? LIST_PAGE_SIZE;
  const refusedInARow = new Map<string, number>();
  const down = (region: string) => (refusedInARow.get(region) ?? 0) >= REGION_DOWN_AFTER;
  const answered = (region: string, yes: boolean) =>
    refusedInARow.set(region, yes ? 0 : (refusedInARow.get(region) ?? 0) + 1);
  const observed: (Observed | undefined)[] = new Array<Observed | undefined>(targets.length);
  const batches = batchesOf(plan, targets);

  const runPool = async <T>(items: readonly T[], work: (item: T) => Promise<void>) => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) await work(items[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, items.length) }, worker));
  };

  await runPool(batches, async (batch) => {
    const members = batch.indices.map((i) => targets[i]!);
    if (down(batch.region)) {
      batch.indices.forEach((i, k) => (observed[i] = notRead(members[k]!)));
      return;
    }
    const result =
      batch.kind === 'list'
        ? await observeListed(plan, control, batch.scope, members, top)
        : await observeSite(plan, control, batch.scope, members);
    answered(batch.region, !('noAnswer' in result));
    batch.indices.forEach((i, k) => {
      observed[i] = 'noAnswer' in result ? failedFrom(members[k]!, result.noAnswer) : result[k];
    });
  });

  // Targets alone in their scope, and those a batch left to GETs.
  const rest = targets.flatMap((_, i) => (observed[i] === undefined ? [i] : []));
  await runPool(rest, async (i) => {
    const target = targets[i]!;
    if (down(target.region)) {
      observed[i] = notRead(target);
      return;
    }
    const o = await observeTarget(plan, control, target);
    answered(target.region, o.observation.reachable);
    observed[i] = o;
  });
  return observed as Observed[];
}

/** Every target of every entry (see observeTargets), by target key (core/refs targetKey). */
export async function observePlan(
  plan: Plan,
  control: LogicAppsControl,
  options: ObserveOptions = {},
): Promise<Map<string, Observed>> {
  const targets = plan.workflows.flatMap((entry) => entryTargets(plan, entry));
  const observed = await observeTargets(plan, control, targets, options);
  return new Map(observed.map((o) => [targetKey(o.target), o]));
}
