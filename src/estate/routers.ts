/**
 * Reading and switching the routers of a plan's entries: where each sends calls now (for the planner, read-back
 * and `dr ready`), and the switch itself. An APIM router is given the callback URL of the workflow it is
 * switched to, resolved through listCallbackUrl at that moment and never stored (it carries a SAS signature).
 */
import { ArmTerminalError, ArmTransientError } from '../adapters/arm/errors';
import type { LogicAppsControl } from '../adapters/logicapps/port';
import type { RouterControl } from '../adapters/routers/port';
import { targetOf, type PlannedAction, type RegionName } from '../core/planner';
import {
  callbackParts,
  entryRouter,
  routedRegion,
  type CallbackParts,
  type RouterObservation,
  type RouterReading,
  type RouterTarget,
} from '../core/routers';
import type { Plan, Router, WorkflowEntry, WorkflowRef } from '../plan/schema';
import { locatorFor } from './locate';
import { normaliseLocation } from '../core/plan-rules';

export interface ObservedRouter {
  entry: string;
  router: Router;
  target: RouterTarget;
  observation: RouterObservation;
  reading?: RouterReading;
  /** APIM: each region's callback URL as listCallbackUrl gave it now (undefined where it could not). */
  callbacks: Partial<Record<RegionName, CallbackParts>>;
  /** Why a region's callback URL could not be read (APIM). */
  callbackErrors: Partial<Record<RegionName, string>>;
  /** The router's ARM answered with an error (429, 5xx, 403...): what it shows is unknown. */
  readError?: string;
}

const REGIONS = ['primary', 'secondary'] as const;

/** The router control, or a clear refusal when a plan with routers runs without one. */
export function requireRouters(routers: RouterControl | undefined): RouterControl {
  if (!routers)
    throw new ArmTerminalError(
      'this control plane was built without a router adapter',
      { operation: 'switch router', target: 'plan' },
      undefined,
      'NoRouterControl',
    );
  return routers;
}

/** The callback URL of the entry's workflow in a region, in parts (the sig stays in memory only). */
export async function callbackOf(
  plan: Plan,
  control: LogicAppsControl,
  entry: WorkflowEntry,
  region: RegionName,
): Promise<CallbackParts> {
  const router = entry.router!;
  if (!('apiManagement' in router)) throw new Error('only an APIM router is given a callback URL');
  const target = targetOf(plan, region, entry[region] as WorkflowRef);
  return callbackParts(await control.getCallbackUrl(locatorFor(plan, target), router.apiManagement.trigger));
}

/** Where one entry's router sends calls now; never throws (a silent ARM is `reachable: false`). */
export async function observeRouter(
  plan: Plan,
  control: LogicAppsControl,
  routers: RouterControl | undefined,
  entry: WorkflowEntry,
): Promise<ObservedRouter | undefined> {
  const target = entryRouter(plan, entry);
  if (!target || !entry.router) return undefined;
  const base = { entry: entry.name, router: entry.router, target, callbacks: {}, callbackErrors: {} };
  let reading: RouterReading;
  try {
    reading = await requireRouters(routers).read(entry.router, target);
  } catch (err) {
    const message = (err as Error).message;
    if (err instanceof ArmTransientError && err.status === undefined)
      return { ...base, observation: { reachable: false, error: message } };
    if (err instanceof ArmTerminalError && err.status === 404)
      return { ...base, observation: { reachable: true, exists: false, error: message } };
    // It answers, with errors: the switch is still tried (and retried), like a fence of a region that answers.
    return {
      ...base,
      readError: message,
      observation: { reachable: true, seen: { exact: false, detail: `could not be read: ${message}` } },
    };
  }
  const callbacks: ObservedRouter['callbacks'] = {};
  const callbackErrors: ObservedRouter['callbackErrors'] = {};
  if (reading.kind === 'apiManagement') {
    await Promise.all(
      REGIONS.map(async (region) => {
        try {
          callbacks[region] = await callbackOf(plan, control, entry, region);
        } catch (err) {
          callbackErrors[region] = (err as Error).message;
        }
      }),
    );
  }
  return {
    ...base,
    reading,
    callbacks,
    callbackErrors,
    observation: { reachable: true, seen: routedRegion(target, reading, callbacks) },
  };
}

/** Every entry's router (of the entries given), by entry name. */
export async function observeRouters(
  plan: Plan,
  control: LogicAppsControl,
  routers: RouterControl | undefined,
  entries: readonly WorkflowEntry[] = plan.workflows,
): Promise<Map<string, ObservedRouter>> {
  const out = new Map<string, ObservedRouter>();
  for (const o of await Promise.all(entries.map((e) => observeRouter(plan, control, routers, e))))
    if (o) out.set(o.entry, o);
  return out;
}

/** The planner's view of the observed routers (by the router's key). */
export const routerObservations =
  (observed: ReadonlyMap<string, ObservedRouter>) =>
  (target: RouterTarget): RouterObservation | undefined =>
    [...observed.values()].find((o) => o.target.key === target.key)?.observation;

/** Performs a planned switch: APIM gets the callback URL of the workflow it now sends calls to. */
export async function applySwitch(
  plan: Plan,
  control: LogicAppsControl,
  routers: RouterControl | undefined,
  step: Pick<Extract<PlannedAction, { op: 'switch-router' }>, 'router' | 'to'>,
): Promise<{ changed: boolean }> {
  // One entry per switched router (the plan rules refuse two).
  const entry = plan.workflows.find((w) => entryRouter(plan, w)?.key === step.router.key);
  if (!entry?.router)
    throw new ArmTerminalError(
      `no entry of this plan has the router ${step.router.label}`,
      { operation: 'switch router', target: step.router.label },
      undefined,
      'NoRouter',
    );
  const callback =
    'apiManagement' in entry.router ? await callbackOf(plan, control, entry, step.to) : undefined;
  return requireRouters(routers).switchTo(entry.router, step.router, step.to, callback);
}

/** One `dr ready` finding about a router (the readiness report's shape). */
export interface RouterReadiness {
  entry: string;
  check: 'router';
  /** `unread`: its ARM did not answer, so nothing about it is known. */
  status: 'ok' | 'fail' | 'unread';
  detail: string;
}

/**
 * `dr ready` for routers: each exists and answers, has an endpoint for each region (Traffic Manager: Priority
 * routing), sends calls to the primary now (exactly: APIM with the current signature), and, for APIM, the
 * secondary's callback URL it would be given resolves now (listCallbackUrl at switch time, so a regenerated
 * key is picked up) and the service would survive the loss of the primary region.
 */
export async function routerReadiness(
  plan: Plan,
  control: LogicAppsControl,
  routers: RouterControl | undefined,
): Promise<RouterReadiness[]> {
  const out: RouterReadiness[] = [];
  for (const o of (await observeRouters(plan, control, routers)).values()) {
    const add = (ok: boolean | 'unread', detail: string) =>
      out.push({
        entry: o.entry,
        check: 'router',
        status: ok === 'unread' ? ok : ok ? 'ok' : 'fail',
        detail: `${o.target.label}: ${detail}`,
      });
    const obs = o.observation;
    if (!obs.reachable) {
      add('unread', `its ARM did not answer (${obs.error}); a switch now would be pending`);
      continue;
    }
    if ('exists' in obs) {
      add(false, `does not exist (${obs.error})`);
      continue;
    }
    const reading = o.reading;
    if (!reading) {
      add('unread', obs.seen.detail);
      continue;
    }
    if (reading.kind !== 'apiManagement') {
      const names = o.target.endpoints;
      const missing = names ? REGIONS.filter((r) => !reading.endpoints[names[r]]) : [...REGIONS];
      add(
        missing.length === 0,
        missing.length === 0
          ? `an endpoint for each region (${names!.primary}, ${names!.secondary})`
          : `no endpoint for the ${missing.join(' and ')} region`,
      );
      if (reading.kind === 'trafficManager' && reading.routingMethod !== 'Priority')
        add(false, `routing method is ${reading.routingMethod ?? 'unknown'}: the switch needs Priority`);
    } else {
      const primaryOnly = reading.locations.every(
        (l) => normaliseLocation(l) === normaliseLocation(plan.primary.location),
      );
      add(
        !primaryOnly,
        primaryOnly
          ? `the API Management service runs only in the primary region (${reading.locations.join(', ')}): it goes down with it, and callers with it; use a multi-region service or one in the secondary`
          : `runs in ${reading.locations.join(', ')}: survives the loss of the primary region`,
      );
      const error = o.callbackErrors.secondary;
      add(
        error === undefined,
        error === undefined
          ? "the secondary workflow's callback URL resolves now; the switch reads it again when it runs, so a regenerated key is picked up"
          : `the secondary workflow's callback URL cannot be read: ${error}`,
      );
    }
    const now = obs.seen;
    // Where it sends calls is told by comparing with the primary's callback URL: unknown when that was not read.
    const unknown = now.pointsAt !== 'secondary' && o.callbackErrors.primary !== undefined;
    if (unknown) {
      add(
        'unread',
        `where it sends calls is unknown: the primary workflow's callback URL could not be read (${o.callbackErrors.primary})`,
      );
      continue;
    }
    add(
      now.pointsAt === 'primary' && now.exact,
      now.pointsAt === 'primary' && now.exact
        ? 'sends calls to the primary now'
        : `expected to send calls to the primary only: ${now.pointsAt ? `it sends them to the ${now.pointsAt}` : 'it sends them to neither region'} (${now.detail})`,
    );
  }
  return out;
}
