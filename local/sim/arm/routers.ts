/**
 * The routers in front of Request-triggered workflows, as the official spec subsets say: API Management
 * (2024-05-01: service, backends, APIs, named values), Front Door Standard/Premium (Microsoft.Cdn 2024-02-01:
 * profile, origin groups, origins) and Traffic Manager (Microsoft.Network 2022-04-01: profile, endpoints).
 * Also their data plane, reduced to what a test needs: where a call sent through a router goes now.
 */
import { z } from 'zod';
import { ArmError, SimInputError } from './errors';
import { normaliseLocation } from './location';

export const APIM_API_VERSION = '2024-05-01';
export const CDN_API_VERSION = '2024-02-01';
export const TRAFFIC_MANAGER_API_VERSION = '2022-04-01';

const enabledState = z.enum(['Enabled', 'Disabled']);

export const seedApiManagement = z
  .object({
    name: z.string().min(1),
    /** Defaults to the resource group's location. A regional service goes down with its region. */
    location: z.string().min(1).optional(),
    /** Extra gateway regions (a multi-region Premium service). */
    additionalLocations: z.array(z.string().min(1)).default([]),
    backends: z
      .array(
        z
          .object({
            name: z.string().min(1),
            url: z.string().min(1),
            query: z.record(z.string(), z.array(z.string())).optional(),
          })
          .strict(),
      )
      .default([]),
    apis: z
      .array(
        z
          .object({
            name: z.string().min(1),
            path: z.string(),
            serviceUrl: z.string().optional(),
            /**
             * The API's inbound policy that adds `?sig=` from a named value chosen by the region of the
             * serviceUrl's host (docs/router.md gives it), by location. Policies are not served over ARM here.
             */
            sigPolicy: z.record(z.string(), z.string().min(1)).optional(),
          })
          .strict(),
      )
      .default([]),
    namedValues: z
      .array(
        z.object({ name: z.string().min(1), value: z.string(), secret: z.boolean().default(true) }).strict(),
      )
      .default([]),
  })
  .strict();

const seedOrigin = z
  .object({
    name: z.string().min(1),
    hostName: z.string().min(1),
    enabledState: enabledState.default('Enabled'),
    priority: z.number().int().min(1).max(5).default(1),
  })
  .strict();

export const seedFrontDoor = z
  .object({
    name: z.string().min(1),
    originGroups: z
      .array(z.object({ name: z.string().min(1), origins: z.array(seedOrigin).default([]) }).strict())
      .default([]),
  })
  .strict();

export const seedTrafficManager = z
  .object({
    name: z.string().min(1),
    routingMethod: z.enum(['Priority', 'Weighted', 'Performance', 'Geographic', 'MultiValue', 'Subnet']),
    endpoints: z
      .array(
        z
          .object({
            name: z.string().min(1),
            type: z
              .enum(['ExternalEndpoints', 'AzureEndpoints', 'NestedEndpoints'])
              .default('ExternalEndpoints'),
            target: z.string().min(1),
            endpointStatus: enabledState.default('Enabled'),
            priority: z.number().int().min(1).max(1000),
            endpointLocation: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/** The router parts of one seeded resource group. */
export interface SeedRouters {
  apiManagement?: z.input<typeof seedApiManagement>[];
  frontDoor?: z.input<typeof seedFrontDoor>[];
  trafficManager?: z.input<typeof seedTrafficManager>[];
}

interface Versioned {
  /** Bumped on every write: the ETag. */
  version: number;
}
interface Backend extends Versioned {
  name: string;
  url: string;
  query?: Record<string, string[]>;
}
interface Api extends Versioned {
  name: string;
  path: string;
  serviceUrl?: string;
  sigPolicy?: Record<string, string>;
}
interface NamedValue extends Versioned {
  name: string;
  displayName?: string;
  value: string;
  secret: boolean;
}
interface ApiManagementService {
  id: string;
  name: string;
  location: string;
  additionalLocations: string[];
  backends: Map<string, Backend>;
  apis: Map<string, Api>;
  namedValues: Map<string, NamedValue>;
}
interface Origin {
  name: string;
  hostName: string;
  enabledState: 'Enabled' | 'Disabled';
  priority: number;
}
interface FrontDoorProfile {
  id: string;
  name: string;
  originGroups: Map<string, Map<string, Origin>>;
  groupNames: Map<string, string>;
}
interface TmEndpoint {
  name: string;
  type: 'ExternalEndpoints' | 'AzureEndpoints' | 'NestedEndpoints';
  target: string;
  endpointStatus: 'Enabled' | 'Disabled';
  priority: number;
  endpointLocation?: string;
}
interface TrafficManagerProfile {
  id: string;
  name: string;
  routingMethod: string;
  endpoints: Map<string, TmEndpoint>;
}

export type RouterProvider = 'apiManagement' | 'cdn' | 'trafficManager';

const key = (...parts: string[]) => parts.join('/').toLowerCase();
const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
const notFound = (what: string, name: string) =>
  new ArmError(404, 'ResourceNotFound', `The ${what} '${name}' was not found.`);
const json = (body: string): Record<string, unknown> => {
  try {
    const value = body.trim() === '' ? {} : (JSON.parse(body) as unknown);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new ArmError(
    400,
    'InvalidRequestContent',
    'The request content was invalid and could not be deserialized.',
  );
};
const props = (body: Record<string, unknown>) =>
  (typeof body.properties === 'object' && body.properties !== null ? body.properties : {}) as Record<
    string,
    unknown
  >;
const optionalString = (value: unknown, field: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ArmError(400, 'ValidationError', `'${field}' must be a string.`);
  return value;
};
const enabledOf = (value: unknown, field: string): 'Enabled' | 'Disabled' | undefined => {
  if (value === undefined) return undefined;
  if (value !== 'Enabled' && value !== 'Disabled')
    throw new ArmError(
      400,
      'BadRequest',
      `'${field}' must be Enabled or Disabled, got ${JSON.stringify(value)}.`,
    );
  return value;
};

/** Where a call sent through a router goes now (its data plane, as far as the tests need it). */
export type RouteNow =
  | { kind: 'url'; url: string }
  | { kind: 'endpoint'; name: string; host: string; location?: string }
  | { kind: 'nowhere'; why: string };

export class RouterEstate {
  private readonly apim = new Map<string, ApiManagementService>();
  private readonly frontDoors = new Map<string, FrontDoorProfile>();
  private readonly trafficManagers = new Map<string, TrafficManagerProfile>();

  seed(subscriptionId: string, resourceGroup: string, rgLocation: string, seed: SeedRouters): void {
    const base = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers`;
    for (const raw of seed.apiManagement ?? []) {
      const s = seedApiManagement.parse(raw);
      this.apim.set(key(subscriptionId, resourceGroup, s.name), {
        id: `${base}/Microsoft.ApiManagement/service/${s.name}`,
        name: s.name,
        location: normaliseLocation(s.location ?? rgLocation),
        additionalLocations: s.additionalLocations.map(normaliseLocation),
        backends: new Map(
          s.backends.map((b) => [
            b.name.toLowerCase(),
            { name: b.name, url: b.url, ...(b.query ? { query: b.query } : {}), version: 1 },
          ]),
        ),
        apis: new Map(s.apis.map((a) => [a.name.toLowerCase(), { ...a, version: 1 }])),
        namedValues: new Map(s.namedValues.map((n) => [n.name.toLowerCase(), { ...n, version: 1 }])),
      });
    }
    for (const raw of seed.frontDoor ?? []) {
      const s = seedFrontDoor.parse(raw);
      this.frontDoors.set(key(subscriptionId, resourceGroup, s.name), {
        id: `${base}/Microsoft.Cdn/profiles/${s.name}`,
        name: s.name,
        originGroups: new Map(
          s.originGroups.map((g) => [
            g.name.toLowerCase(),
            new Map(g.origins.map((o) => [o.name.toLowerCase(), { ...o }])),
          ]),
        ),
        groupNames: new Map(s.originGroups.map((g) => [g.name.toLowerCase(), g.name])),
      });
    }
    for (const raw of seed.trafficManager ?? []) {
      const s = seedTrafficManager.parse(raw);
      this.trafficManagers.set(key(subscriptionId, resourceGroup, s.name), {
        id: `${base}/Microsoft.Network/trafficManagerProfiles/${s.name}`,
        name: s.name,
        routingMethod: s.routingMethod,
        endpoints: new Map(s.endpoints.map((e) => [`${e.type}/${e.name}`.toLowerCase(), { ...e }])),
      });
    }
  }

  /** The region whose faults a router's ARM shares: an APIM service's own; Front Door and Traffic Manager are global. */
  regionOf(
    provider: RouterProvider,
    subscriptionId: string,
    resourceGroup: string,
    name: string,
  ): string | undefined {
    if (provider === 'apiManagement')
      return this.apim.get(key(subscriptionId, resourceGroup, name))?.location;
    const store = provider === 'cdn' ? this.frontDoors : this.trafficManagers;
    return store.has(key(subscriptionId, resourceGroup, name)) ? 'global' : undefined;
  }

  /** Serves one ARM request below `.../providers/<router provider>/<type>/<name>`. */
  handle(
    provider: RouterProvider,
    method: string,
    path: { subscriptionId: string; resourceGroup: string; name: string; rest: string[] },
    body: string,
    ifMatch?: string,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const k = key(path.subscriptionId, path.resourceGroup, path.name);
    if (provider === 'apiManagement') {
      const service = this.apim.get(k);
      if (!service) throw notFound('API Management service', path.name);
      return this.handleApim(service, method, path.rest, body, ifMatch);
    }
    if (provider === 'cdn') {
      const profile = this.frontDoors.get(k);
      if (!profile) throw notFound('profile', path.name);
      return this.handleFrontDoor(profile, method, path.rest, body);
    }
    const profile = this.trafficManagers.get(k);
    if (!profile) throw notFound('Traffic Manager profile', path.name);
    return this.handleTrafficManager(profile, method, path.rest, body);
  }

  // ---- API Management ----------------------------------------------------------------------------------------

  private handleApim(
    s: ApiManagementService,
    method: string,
    rest: string[],
    body: string,
    ifMatch?: string,
  ) {
    const [collection, name, action] = rest;
    if (collection === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: apimServiceResource(s) };
    }
    if (eq(collection, 'backends') && name !== undefined && action === undefined) {
      const existing = s.backends.get(name.toLowerCase());
      if (method === 'GET') {
        if (!existing) throw notFound('backend', name);
        return { status: 200, body: backendResource(s, existing), headers: etag(existing) };
      }
      if (method === 'PUT' || method === 'PATCH') {
        if (method === 'PATCH' && !existing) throw notFound('backend', name);
        if (method === 'PATCH') checkIfMatch(existing!, ifMatch);
        const p = props(json(body));
        const url =
          optionalString(p.url, 'properties.url') ?? (method === 'PATCH' ? existing!.url : undefined);
        if (url === undefined) throw new ArmError(400, 'ValidationError', "'url' is required.");
        const credentials = p.credentials as { query?: unknown } | undefined;
        const query =
          credentials && 'query' in credentials
            ? checkQuery(credentials.query)
            : method === 'PATCH'
              ? existing!.query
              : undefined;
        const next: Backend = {
          name: existing?.name ?? name,
          url,
          ...(query ? { query } : {}),
          version: (existing?.version ?? 0) + 1,
        };
        s.backends.set(name.toLowerCase(), next);
        return {
          status: existing || method === 'PATCH' ? 200 : 201,
          body: backendResource(s, next),
          headers: etag(next),
        };
      }
      throw methodNotAllowed(method);
    }
    if (eq(collection, 'apis') && name !== undefined && action === undefined) {
      const api = s.apis.get(name.toLowerCase());
      if (!api) throw notFound('API', name);
      if (method === 'GET') return { status: 200, body: apiResource(s, api), headers: etag(api) };
      if (method === 'PATCH') {
        checkIfMatch(api, ifMatch);
        const serviceUrl = optionalString(props(json(body)).serviceUrl, 'properties.serviceUrl');
        if (serviceUrl !== undefined) api.serviceUrl = serviceUrl;
        api.version += 1;
        return { status: 200, body: apiResource(s, api), headers: etag(api) };
      }
      throw methodNotAllowed(method);
    }
    if (eq(collection, 'namedValues') && name !== undefined) {
      const nv = s.namedValues.get(name.toLowerCase());
      if (action !== undefined) {
        if (!eq(action, 'listValue') || method !== 'POST') throw methodNotAllowed(method);
        if (!nv) throw notFound('named value', name);
        return { status: 200, body: { value: nv.value } };
      }
      if (method === 'GET') {
        if (!nv) throw notFound('named value', name);
        return { status: 200, body: namedValueResource(s, nv), headers: etag(nv) };
      }
      if (method === 'PUT') {
        const p = props(json(body));
        const value = optionalString(p.value, 'properties.value');
        const displayName = optionalString(p.displayName, 'properties.displayName');
        // The spec's limits: the id, displayName (required) and the value (not blank, at most 4096 characters).
        if (name.length > 256 || /[*#&+:<>?]/.test(name))
          throw new ArmError(400, 'ValidationError', `Named value id '${name}' is not valid.`);
        if (displayName === undefined || !/^[A-Za-z0-9-._]{1,256}$/.test(displayName))
          throw new ArmError(
            400,
            'ValidationError',
            "'displayName' is required and may contain only letters, digits, period, dash, and underscore characters (at most 256).",
          );
        if (value === undefined || value.trim() === '' || value.length > 4096)
          throw new ArmError(
            400,
            'ValidationError',
            "'value' is required, may not be empty or consist only of whitespace, and is at most 4096 characters.",
          );
        const next: NamedValue = {
          name: nv?.name ?? name,
          displayName,
          value,
          secret: typeof p.secret === 'boolean' ? p.secret : (nv?.secret ?? false),
          version: (nv?.version ?? 0) + 1,
        };
        s.namedValues.set(name.toLowerCase(), next);
        return { status: nv ? 200 : 201, body: namedValueResource(s, next), headers: etag(next) };
      }
      throw methodNotAllowed(method);
    }
    throw new ArmError(
      404,
      'InvalidResourceType',
      `No route matches '${rest.join('/')}' in the ARM simulator.`,
    );
  }

  // ---- Front Door ----------------------------------------------------------------------------------------------

  private handleFrontDoor(p: FrontDoorProfile, method: string, rest: string[], body: string) {
    const [collection, groupName, originsSegment, originName] = rest;
    if (collection === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: frontDoorProfileResource(p) };
    }
    if (!eq(collection, 'originGroups') || groupName === undefined)
      throw notFound('resource', rest.join('/'));
    const group = p.originGroups.get(groupName.toLowerCase());
    if (!group) throw notFound('origin group', groupName);
    const gName = p.groupNames.get(groupName.toLowerCase())!;
    if (originsSegment === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: originGroupResource(p, gName) };
    }
    if (!eq(originsSegment, 'origins')) throw notFound('resource', rest.join('/'));
    if (originName === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: { value: [...group.values()].map((o) => originResource(p, gName, o)) } };
    }
    const origin = group.get(originName.toLowerCase());
    if (!origin) throw notFound('origin', originName);
    if (method === 'GET') return { status: 200, body: originResource(p, gName, origin) };
    if (method === 'PATCH') {
      const q = props(json(body));
      const state = enabledOf(q.enabledState, 'properties.enabledState');
      if (state) origin.enabledState = state;
      if (q.priority !== undefined) {
        if (!Number.isInteger(q.priority) || (q.priority as number) < 1 || (q.priority as number) > 5)
          throw new ArmError(400, 'BadRequest', "'priority' must be an integer from 1 to 5.");
        origin.priority = q.priority as number;
      }
      return { status: 200, body: originResource(p, gName, origin) };
    }
    throw methodNotAllowed(method);
  }

  // ---- Traffic Manager -----------------------------------------------------------------------------------------

  private handleTrafficManager(p: TrafficManagerProfile, method: string, rest: string[], body: string) {
    const [type, name] = rest;
    if (type === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: trafficManagerProfileResource(p) };
    }
    if (name === undefined || rest.length !== 2) throw notFound('resource', rest.join('/'));
    const endpoint = p.endpoints.get(`${type}/${name}`.toLowerCase());
    if (!endpoint) throw notFound('endpoint', name);
    if (method === 'GET') return { status: 200, body: endpointResource(p, endpoint) };
    if (method === 'PATCH') {
      const q = props(json(body));
      const status = enabledOf(q.endpointStatus, 'properties.endpointStatus');
      if (status) endpoint.endpointStatus = status;
      if (q.priority !== undefined) {
        if (!Number.isInteger(q.priority) || (q.priority as number) < 1 || (q.priority as number) > 1000)
          throw new ArmError(400, 'BadRequest', "'priority' must be an integer from 1 to 1000.");
        const clash = [...p.endpoints.values()].find((e) => e !== endpoint && e.priority === q.priority);
        // Traffic Manager refuses two endpoints of one profile with the same priority.
        if (clash && p.routingMethod === 'Priority')
          throw new ArmError(
            400,
            'BadRequest',
            `Priority ${JSON.stringify(q.priority)} is already used by endpoint '${clash.name}'.`,
          );
        endpoint.priority = q.priority as number;
      }
      return { status: 200, body: endpointResource(p, endpoint) };
    }
    throw methodNotAllowed(method);
  }

  // ---- data plane ------------------------------------------------------------------------------------------------

  /**
   * Where a call sent through the router goes now. APIM: the backend's url with its credential query (named
   * values resolved), or the API's serviceUrl; Front Door and Traffic Manager (priority): the enabled origin
   * or endpoint with the best priority. `nowhere` when nothing is enabled.
   */
  route(
    kind: 'apiManagement' | 'frontDoor' | 'trafficManager',
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    part: string,
    /** The region whose Logic Apps runtime listens at an origin (`https://127.0.0.1:<port>`), if any. */
    locationOf: (origin: string) => string | undefined = () => undefined,
  ): RouteNow {
    const k = key(subscriptionId, resourceGroup, name);
    if (kind === 'apiManagement') {
      const s = this.apim.get(k);
      if (!s) throw new SimInputError('route', `no API Management service ${name}`);
      const backend = s.backends.get(part.toLowerCase());
      const api = s.apis.get(part.toLowerCase());
      const base = backend?.url ?? api?.serviceUrl;
      if (!base) return { kind: 'nowhere', why: `${part} has no url` };
      const url = new URL(base);
      const resolve = (v: string) =>
        v.replace(/\{\{([^}]+)\}\}/g, (_, n: string) => s.namedValues.get(n.toLowerCase())?.value ?? '');
      for (const [q, values] of Object.entries(backend?.query ?? {}))
        for (const v of values) url.searchParams.append(q, resolve(v));
      if (!backend && api?.sigPolicy) {
        // The policy's <choose>: the named value of the region whose host the serviceUrl is; none otherwise.
        const location =
          locationOf(url.origin) ??
          Object.keys(api.sigPolicy).find((l) => url.hostname.includes(`.${normaliseLocation(l)}.`));
        const name = Object.entries(api.sigPolicy).find(
          ([l]) => location !== undefined && normaliseLocation(l) === normaliseLocation(location),
        )?.[1];
        if (name !== undefined) url.searchParams.set('sig', resolve(`{{${name}}}`));
      }
      return { kind: 'url', url: url.toString() };
    }
    const candidates =
      kind === 'frontDoor'
        ? [...(this.frontDoors.get(k)?.originGroups.get(part.toLowerCase())?.values() ?? [])].map((o) => ({
            name: o.name,
            host: o.hostName,
            enabled: o.enabledState === 'Enabled',
            priority: o.priority,
          }))
        : [...(this.trafficManagers.get(k)?.endpoints.values() ?? [])].map((e) => ({
            name: e.name,
            host: e.target,
            enabled: e.endpointStatus === 'Enabled',
            priority: e.priority,
            ...(e.endpointLocation ? { location: e.endpointLocation } : {}),
          }));
    const best = candidates.filter((c) => c.enabled).sort((a, b) => a.priority - b.priority)[0];
    if (!best) return { kind: 'nowhere', why: 'no origin or endpoint is enabled' };
    return {
      kind: 'endpoint',
      name: best.name,
      host: best.host,
      ...('location' in best ? { location: best.location as string } : {}),
    };
  }
}

function methodNotAllowed(method: string): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `The HTTP method '${method}' is not supported here.`);
}

function checkQuery(value: unknown): Record<string, string[]> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.values(value).some((v) => !Array.isArray(v) || v.some((x) => typeof x !== 'string'))
  )
    throw new ArmError(400, 'ValidationError', "'credentials.query' must map names to arrays of strings.");
  return value as Record<string, string[]>;
}

const etag = (v: Versioned) => ({ etag: `"${v.version}"` });

/** Backend_Update and Api_Update require If-Match: `*` or the entity's current ETag (else 412). */
function checkIfMatch(v: Versioned, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch === '')
    throw new ArmError(400, 'InvalidRequest', "The 'If-Match' header is required.");
  if (ifMatch !== '*' && ifMatch !== `"${v.version}"`)
    throw new ArmError(
      412,
      'PreconditionFailed',
      'The entity changed since it was read (If-Match does not match its ETag).',
    );
}

function apimServiceResource(s: ApiManagementService): Record<string, unknown> {
  const gateway = (location: string) => `https://${s.name}-${location}-01.regional.azure-api.net`;
  return {
    id: s.id,
    name: s.name,
    type: 'Microsoft.ApiManagement/service',
    location: s.location,
    etag: 'AAAAAAAAAAA=',
    sku: { name: s.additionalLocations.length ? 'Premium' : 'Developer', capacity: 1 },
    properties: {
      publisherEmail: 'dr@contoso.example',
      publisherName: 'Contoso',
      provisioningState: 'Succeeded',
      gatewayUrl: `https://${s.name}.azure-api.net`,
      gatewayRegionalUrl: gateway(s.location),
      additionalLocations: s.additionalLocations.map((location) => ({
        location,
        sku: { name: 'Premium', capacity: 1 },
        gatewayRegionalUrl: gateway(location),
      })),
    },
  };
}

function backendResource(s: ApiManagementService, b: Backend): Record<string, unknown> {
  return {
    id: `${s.id}/backends/${b.name}`,
    type: 'Microsoft.ApiManagement/service/backends',
    name: b.name,
    properties: { url: b.url, protocol: 'http', ...(b.query ? { credentials: { query: b.query } } : {}) },
  };
}

function apiResource(s: ApiManagementService, a: Api): Record<string, unknown> {
  return {
    id: `${s.id}/apis/${a.name}`,
    type: 'Microsoft.ApiManagement/service/apis',
    name: a.name,
    properties: {
      displayName: a.name,
      apiRevision: '1',
      isCurrent: true,
      subscriptionRequired: true,
      path: a.path,
      protocols: ['https'],
      ...(a.serviceUrl !== undefined ? { serviceUrl: a.serviceUrl } : {}),
    },
  };
}

function namedValueResource(s: ApiManagementService, n: NamedValue): Record<string, unknown> {
  // A secret's value is never in a GET: NamedValue_ListValue returns it.
  return {
    id: `${s.id}/namedValues/${n.name}`,
    type: 'Microsoft.ApiManagement/service/namedValues',
    name: n.name,
    properties: {
      displayName: n.displayName ?? n.name,
      secret: n.secret,
      tags: [],
      ...(n.secret ? {} : { value: n.value }),
    },
  };
}

function frontDoorProfileResource(p: FrontDoorProfile): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    type: 'Microsoft.Cdn/profiles',
    location: 'Global',
    kind: 'frontdoor',
    sku: { name: 'Standard_AzureFrontDoor' },
    properties: { provisioningState: 'Succeeded', resourceState: 'Active', originResponseTimeoutSeconds: 60 },
  };
}

function originGroupResource(p: FrontDoorProfile, group: string): Record<string, unknown> {
  return {
    id: `${p.id}/originGroups/${group}`,
    type: 'Microsoft.Cdn/profiles/origingroups',
    name: group,
    properties: {
      loadBalancingSettings: {
        sampleSize: 4,
        successfulSamplesRequired: 3,
        additionalLatencyInMilliseconds: 50,
      },
      healthProbeSettings: {
        probePath: '/',
        probeRequestType: 'HEAD',
        probeProtocol: 'Https',
        probeIntervalInSeconds: 100,
      },
      sessionAffinityState: 'Disabled',
      provisioningState: 'Succeeded',
      deploymentStatus: 'NotStarted',
    },
  };
}

function originResource(p: FrontDoorProfile, group: string, o: Origin): Record<string, unknown> {
  return {
    id: `${p.id}/originGroups/${group}/origins/${o.name}`,
    type: 'Microsoft.Cdn/profiles/origingroups/origins',
    name: o.name,
    properties: {
      hostName: o.hostName,
      httpPort: 80,
      httpsPort: 443,
      originHostHeader: o.hostName,
      priority: o.priority,
      weight: 1000,
      enabledState: o.enabledState,
      provisioningState: 'Succeeded',
      deploymentStatus: 'NotStarted',
      originGroupName: group,
      enforceCertificateNameCheck: true,
    },
  };
}

const TM_TYPES: Record<TmEndpoint['type'], string> = {
  ExternalEndpoints: 'externalEndpoints',
  AzureEndpoints: 'azureEndpoints',
  NestedEndpoints: 'nestedEndpoints',
};

function endpointResource(p: TrafficManagerProfile, e: TmEndpoint): Record<string, unknown> {
  return {
    id: `${p.id}/${TM_TYPES[e.type]}/${e.name}`,
    name: e.name,
    type: `Microsoft.Network/trafficManagerProfiles/${TM_TYPES[e.type]}`,
    properties: {
      endpointStatus: e.endpointStatus,
      endpointMonitorStatus: e.endpointStatus === 'Enabled' ? 'Online' : 'Disabled',
      target: e.target,
      weight: 1,
      priority: e.priority,
      ...(e.endpointLocation ? { endpointLocation: e.endpointLocation } : {}),
    },
  };
}

function trafficManagerProfileResource(p: TrafficManagerProfile): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    type: 'Microsoft.Network/trafficManagerProfiles',
    location: 'global',
    tags: {},
    properties: {
      profileStatus: 'Enabled',
      trafficRoutingMethod: p.routingMethod,
      dnsConfig: {
        relativeName: p.name.toLowerCase(),
        fqdn: `${p.name.toLowerCase()}.trafficmanager.net`,
        ttl: 30,
      },
      monitorConfig: {
        profileMonitorStatus: 'Online',
        protocol: 'HTTPS',
        port: 443,
        path: '/',
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      },
      endpoints: [...p.endpoints.values()].map((e) => endpointResource(p, e)),
      trafficViewEnrollmentStatus: 'Disabled',
      maxReturn: 0,
    },
  };
}
