/**
 * The router in front of a Request-triggered entry (API Management, Front Door, Traffic Manager): what the
 * switch addresses, what a router's reading says about where it sends calls, and what a switch must write.
 * Pure: readings come in from the adapters.
 */
import type { Plan, Router, WorkflowEntry } from '../plan/schema';
import { normaliseLocation } from './plan-rules';
import type { RegionName, RouterKind, RouterSeen, RouterTarget } from './operation-plan';

export type { RouterKind, RouterObservation, RouterSeen, RouterTarget } from './operation-plan';

export const routerKind = (router: Router): RouterKind =>
  'apiManagement' in router ? 'apiManagement' : 'frontDoor' in router ? 'frontDoor' : 'trafficManager';

/** A map keyed by location, read by plan region (undefined: not both regions mapped). */
function namesByRegion(
  names: Record<string, string> | undefined,
  regions: Pick<Plan, 'primary' | 'secondary'>,
): Record<RegionName, string> | undefined {
  if (!names) return undefined;
  const find = (region: RegionName) =>
    Object.entries(names).find(
      ([location]) => normaliseLocation(location) === normaliseLocation(regions[region].location),
    )?.[1];
  const primary = find('primary');
  const secondary = find('secondary');
  return primary !== undefined && secondary !== undefined ? { primary, secondary } : undefined;
}

/** The per-region names of a Front Door or Traffic Manager router, by plan region (undefined: not both mapped). */
export const endpointsByRegion = (router: Router, regions: Pick<Plan, 'primary' | 'secondary'>) =>
  namesByRegion(
    'frontDoor' in router
      ? router.frontDoor.origins
      : 'trafficManager' in router
        ? router.trafficManager.endpoints
        : undefined,
    regions,
  );

/** The secret named value that holds each region's sig, for an APIM router that keeps it in named values. */
export const sigNamedValuesByRegion = (router: Router, regions: Pick<Plan, 'primary' | 'secondary'>) =>
  'apiManagement' in router && typeof router.apiManagement.signature === 'object'
    ? namesByRegion(router.apiManagement.signature.namedValues, regions)
    : undefined;

/** The resource path (below the subscription and resource group) of what the switch writes. */
function switchPath(router: Router): string {
  if ('apiManagement' in router) {
    const a = router.apiManagement;
    return a.backend !== undefined
      ? `${a.service}/backends/${a.backend}`
      : `${a.service}/apis/${a.api ?? ''}`;
  }
  if ('frontDoor' in router)
    return `${router.frontDoor.profile}/originGroups/${router.frontDoor.originGroup}`;
  return router.trafficManager.profile;
}

export function routerTarget(plan: Pick<Plan, 'primary' | 'secondary'>, router: Router): RouterTarget {
  const kind = routerKind(router);
  const scope =
    'apiManagement' in router
      ? router.apiManagement
      : 'frontDoor' in router
        ? router.frontDoor
        : router.trafficManager;
  const path = switchPath(router);
  const endpoints = endpointsByRegion(router, plan);
  const sigNamedValues = sigNamedValuesByRegion(router, plan);
  return {
    kind,
    key: `${kind}/${scope.subscriptionId}/${scope.resourceGroup}/${path}`.toLowerCase(),
    label: `${kind} ${path}`,
    ...(endpoints ? { endpoints } : {}),
    ...(sigNamedValues ? { sigNamedValues } : {}),
  };
}

/** The entry's router, when it has one. */
export const entryRouter = (plan: Pick<Plan, 'primary' | 'secondary'>, entry: WorkflowEntry) =>
  entry.router ? routerTarget(plan, entry.router) : undefined;

/** A Request trigger's callback URL in parts, as listCallbackUrl returns it (the `sig` is a secret). */
export interface CallbackParts {
  basePath: string;
  queries: Record<string, string>;
}

/** What a router's ARM shows (read by the adapter): where each of its endpoints would send calls. */
export type RouterReading =
  | {
      kind: 'apiManagement';
      /** The backend's url, or the API's serviceUrl (without a query). */
      url?: string;
      /** The query the router adds to each call (backend credentials.query, or what serviceUrl carries). */
      query: Record<string, string>;
      /** The sig the router sends (a backend's, resolved from the named value its query refers to). */
      signature?: string;
      /**
       * Each region's sig named value (undefined: it does not exist), when the plan keeps the sig in one per
       * region: an API's policy adds the one of the region its serviceUrl's host is in.
       */
      signatureByRegion?: Partial<Record<RegionName, string>>;
      /** Where the APIM service and its extra gateways run. */
      locations: string[];
    }
  | {
      kind: 'frontDoor' | 'trafficManager';
      /** By endpoint (origin) name. */
      endpoints: Record<string, { enabled: boolean; priority?: number; location?: string }>;
      /** Traffic Manager only: its routing method (the switch needs Priority). */
      routingMethod?: string;
    };

const sameUrl = (a: string | undefined, b: string) =>
  a !== undefined && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/** The query an APIM router must send for a callback URL: every query of it but the sig, which goes apart. */
export function callbackQuery(callback: CallbackParts): Record<string, string> {
  return Object.fromEntries(Object.entries(callback.queries).filter(([k]) => k !== 'sig'));
}

/**
 * Where the router sends calls, from its reading. APIM: the region whose callback URL its url is (compared
 * without the signature; `exact` when query and signature are the current ones, so keys regenerated since are
 * seen). Front Door and Traffic Manager: the enabled endpoint with the best (lowest) priority.
 */
export function routedRegion(
  target: RouterTarget,
  reading: RouterReading,
  callbacks: Partial<Record<RegionName, CallbackParts>>,
): RouterSeen {
  if (reading.kind === 'apiManagement') {
    const region = (['primary', 'secondary'] as const).find((r) => {
      const cb = callbacks[r];
      return cb !== undefined && sameUrl(reading.url, cb.basePath);
    });
    if (!region) {
      const known = (['primary', 'secondary'] as const).filter((r) => callbacks[r]).join(' and ');
      return {
        exact: false,
        detail: reading.url
          ? `its url is neither region's callback URL${known ? ` (compared with the ${known})` : ''}`
          : 'it has no url',
      };
    }
    const cb = callbacks[region]!;
    const wantQuery = callbackQuery(cb);
    const queryOk =
      Object.keys(wantQuery).length === Object.keys(reading.query).length &&
      Object.entries(wantQuery).every(([k, v]) => reading.query[k] === v);
    // A backend sends the sig its query refers to; an API's policy the named value of the region it calls.
    const sent = reading.signature ?? reading.signatureByRegion?.[region];
    const sigOk = sent === cb.queries.sig;
    const stale = [...(queryOk ? [] : ['query']), ...(sigOk ? [] : ['signature'])];
    return {
      pointsAt: region,
      exact: stale.length === 0,
      detail: `sends calls to the ${region}'s callback URL${stale.length ? ` with a stale ${stale.join(' and ')}` : ''}`,
    };
  }
  const names = target.endpoints;
  if (!names) return { exact: false, detail: 'its endpoints do not map to the two regions' };
  const state = (r: RegionName) => reading.endpoints[names[r]];
  const missing = (['primary', 'secondary'] as const).filter((r) => !state(r));
  if (missing.length)
    return {
      exact: false,
      detail: `has no endpoint ${missing.map((r) => `"${names[r]}" (${r})`).join(', ')}`,
    };
  const enabled = (['primary', 'secondary'] as const).filter((r) => state(r)!.enabled);
  const best = [...enabled].sort((a, b) => (state(a)!.priority ?? 1000) - (state(b)!.priority ?? 1000))[0];
  const describe = (r: RegionName) =>
    `${names[r]} ${state(r)!.enabled ? 'Enabled' : 'Disabled'}${state(r)!.priority !== undefined ? ` priority ${state(r)!.priority}` : ''}`;
  const detail = `${describe('primary')}, ${describe('secondary')}`;
  if (!best) return { exact: false, detail: `${detail}: sends calls nowhere` };
  return { pointsAt: best, exact: enabled.length === 1, detail };
}

/** The endpoint states a Front Door or Traffic Manager switch to `to` leaves (the active one first: never none). */
export function endpointWrites(
  target: RouterTarget,
  to: RegionName,
): { name: string; enabled: boolean; priority: number }[] {
  const names = target.endpoints!;
  const other: RegionName = to === 'primary' ? 'secondary' : 'primary';
  return [
    { name: names[to], enabled: true, priority: 1 },
    { name: names[other], enabled: false, priority: 2 },
  ];
}

/** A callback URL (listCallbackUrl's `value`) in parts: the URL without its query, and the query. */
export function callbackParts(url: string): CallbackParts {
  const u = new URL(url);
  return { basePath: `${u.origin}${u.pathname}`, queries: Object.fromEntries(u.searchParams) };
}
