import { type VirtualClock } from './clock';
import { ArmError } from './errors';
import { type Estate } from './estate';
import { type SimWorkflow, type SimWorkflowState } from './model';
import {
  APIM_API_VERSION,
  CDN_API_VERSION,
  TRAFFIC_MANAGER_API_VERSION,
  type RouterEstate,
  type RouterProvider,
} from './routers';
import {
  appSettingsResource,
  integrationAccountResource,
  runResource,
  siteResource,
  triggerResource,
  workflowResource,
} from './resources';

/** The api-versions of the router SDKs (@azure/arm-apimanagement 10.0.0, arm-cdn 9.1.0, arm-trafficmanager 6.1.0). */
const ROUTER_API_VERSIONS: Record<RouterProvider, string> = {
  apiManagement: APIM_API_VERSION,
  cdn: CDN_API_VERSION,
  trafficManager: TRAFFIC_MANAGER_API_VERSION,
};

/** The Logic Apps api-version the simulator serves (the one @azure/arm-logic 8.2.0 sends). */
export const LOGIC_API_VERSION = '2019-05-01';
/** api-version the runtime puts in callback URLs, as the service does for consumption workflows. */
export const CALLBACK_API_VERSION = '2016-10-01';
/** The error the simulator answers when a disabled workflow is invoked or run (status and code unconfirmed). */
export const WORKFLOW_DISABLED = { status: 409, code: 'WorkflowDisabled' } as const;

export interface ArmRequest {
  method: string;
  url: URL;
  /** Raw request body; empty string when none. */
  body: string;
  /** The If-Match header, when sent (API Management's updates require one). */
  ifMatch?: string;
}

export interface ArmResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON body; undefined = empty body. */
  body?: unknown;
}

/** What an ARM path addresses, as far as fault injection and throttling need to know. */
export interface ArmPathInfo {
  subscriptionId?: string;
  resourceGroup?: string;
  provider?: 'logic' | 'web' | 'integrationAccounts' | RouterProvider;
  /** Top-level resource name (workflow, site or integration account). */
  name?: string;
  /** Segments after the top-level resource name. */
  rest: string[];
}

export interface ArmRouterOptions {
  estate: Estate;
  /** API Management, Front Door and Traffic Manager. */
  routers: RouterEstate;
  clock: VirtualClock;
  /** `https://127.0.0.1:<port>` of the ARM listener, for absolute nextLinks. */
  armBaseUrl: () => string;
  /** `https://127.0.0.1:<port>` of a region's runtime listener, opening it if needed (callback URLs). */
  runtimeBaseUrl: (region: string) => Promise<string>;
  /** The same, without opening one: undefined for a region that has no listener yet. */
  runtimeEndpoint: (region: string) => string | undefined;
  /** Page size when the client sends no `$top`. */
  defaultPageSize: number;
}

const eq = (a: string | undefined, b: string): boolean =>
  a !== undefined && a.toLowerCase() === b.toLowerCase();

/** Splits `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}/...` case-insensitively. */
export function describeArmPath(pathname: string): ArmPathInfo {
  const seg = pathname
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const info: ArmPathInfo = { rest: [] };
  if (!eq(seg[0], 'subscriptions') || seg[1] === undefined) return info;
  info.subscriptionId = seg[1];
  if (!eq(seg[2], 'resourceGroups') || seg[3] === undefined) return info;
  info.resourceGroup = seg[3];
  if (!eq(seg[4], 'providers')) return info;
  if (eq(seg[5], 'Microsoft.Logic') && eq(seg[6], 'workflows')) info.provider = 'logic';
  else if (eq(seg[5], 'Microsoft.Logic') && eq(seg[6], 'integrationAccounts'))
    info.provider = 'integrationAccounts';
  else if (eq(seg[5], 'Microsoft.Web') && eq(seg[6], 'sites')) info.provider = 'web';
  else if (eq(seg[5], 'Microsoft.ApiManagement') && eq(seg[6], 'service')) info.provider = 'apiManagement';
  else if (eq(seg[5], 'Microsoft.Cdn') && eq(seg[6], 'profiles')) info.provider = 'cdn';
  else if (eq(seg[5], 'Microsoft.Network') && eq(seg[6], 'trafficmanagerprofiles'))
    info.provider = 'trafficManager';
  else return info;
  if (seg[7] !== undefined) info.name = seg[7];
  info.rest = seg.slice(8);
  return info;
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
    );
  }
}

function parseTop(url: URL): number | undefined {
  const raw = url.searchParams.get('$top');
  if (raw === null) return undefined;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1) {
    throw new ArmError(
      400,
      'InvalidQueryParameterValue',
      `The value '${raw}' of query parameter '$top' is not valid.`,
    );
  }
  return top;
}

/** Supports the one filter shape the adapters use: `<field> eq '<value>'`. */
function parseEqFilter(url: URL, field: string): string | undefined {
  const raw = url.searchParams.get('$filter');
  if (raw === null || raw.trim() === '') return undefined;
  const match = /^\s*(\w+)\s+eq\s+'([^']*)'\s*$/i.exec(raw);
  if (!match || !eq(match[1], field)) {
    throw new ArmError(
      400,
      'InvalidQueryParameterValue',
      `The $filter '${raw}' is not supported; use "${field} eq '<value>'".`,
    );
  }
  return match[2];
}

function methodNotAllowed(method: string, path: string): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `The HTTP method '${method}' is not supported at '${path}'.`);
}

function notFoundPath(path: string): ArmError {
  return new ArmError(404, 'InvalidResourceType', `No route matches '${path}' in the ARM simulator.`);
}

/** Serves the ARM REST surface the project uses; throws ArmError for every failure. */
export class ArmRouter {
  constructor(private readonly options: ArmRouterOptions) {}

  async handle(request: ArmRequest): Promise<ArmResponse> {
    const { url } = request;
    const method = request.method.toUpperCase();
    const info = describeArmPath(url.pathname);
    if (!info.subscriptionId || !info.resourceGroup || !info.provider) throw notFoundPath(url.pathname);
    if (info.provider in ROUTER_API_VERSIONS) return this.handleRouter(request, info);
    this.checkApiVersion(url, info.provider);
    if (info.provider === 'web') return this.handleWeb(method, request, info);
    if (info.provider === 'integrationAccounts') return this.handleIntegrationAccount(method, request, info);
    return this.handleLogic(method, request, info);
  }

  /** API Management, Front Door and Traffic Manager, each at the api-version its SDK sends. */
  private handleRouter(request: ArmRequest, info: ArmPathInfo): ArmResponse {
    const provider = info.provider as RouterProvider;
    const wanted = ROUTER_API_VERSIONS[provider];
    const version = request.url.searchParams.get('api-version');
    if (version !== wanted) {
      throw new ArmError(
        400,
        version ? 'InvalidApiVersionParameter' : 'MissingApiVersionParameter',
        `The api-version '${version ?? ''}' is invalid. The supported versions are '${wanted}'.`,
      );
    }
    if (info.name === undefined) throw notFoundPath(request.url.pathname);
    return this.options.routers.handle(
      provider,
      request.method.toUpperCase(),
      {
        subscriptionId: info.subscriptionId as string,
        resourceGroup: info.resourceGroup as string,
        name: info.name,
        rest: info.rest,
      },
      request.body,
      request.ifMatch,
    );
  }

  private checkApiVersion(url: URL, provider: NonNullable<ArmPathInfo['provider']>): void {
    const version = url.searchParams.get('api-version');
    if (version === null || version === '') {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const ok =
      provider !== 'web' ? version === LOGIC_API_VERSION : /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(version);
    if (!ok) {
      throw new ArmError(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${version}' is invalid. The supported versions are '${provider !== 'web' ? LOGIC_API_VERSION : 'yyyy-mm-dd[-preview]'}'.`,
      );
    }
  }

  private async handleLogic(method: string, request: ArmRequest, info: ArmPathInfo): Promise<ArmResponse> {
    const { estate } = this.options;
    const sub = info.subscriptionId as string;
    const rg = info.resourceGroup as string;
    const path = request.url.pathname;
    const rest = info.rest;

    if (info.name === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method, path);
      const group = estate.resourceGroup(sub, rg);
      const state = parseEqFilter(request.url, 'State');
      const items = [...group.workflows.values()]
        .filter((wf) => state === undefined || eq(wf.state, state))
        .map((wf) => workflowResource(wf, this.accessEndpoint(wf)));
      return { status: 200, body: this.page(request.url, items) };
    }

    const name = info.name;
    if (rest.length === 0) {
      switch (method) {
        case 'GET': {
          const wf = estate.workflow(sub, rg, name);
          return { status: 200, body: workflowResource(wf, this.accessEndpoint(wf)) };
        }
        case 'PUT': {
          const { created, workflow } = estate.putWorkflow(sub, rg, name, parseJsonBody(request.body));
          await this.options.runtimeBaseUrl(workflow.location);
          return {
            status: created ? 201 : 200,
            body: workflowResource(workflow, this.accessEndpoint(workflow)),
          };
        }
        case 'PATCH': {
          const wf = estate.patchWorkflow(sub, rg, name, parseJsonBody(request.body));
          return { status: 200, body: workflowResource(wf, this.accessEndpoint(wf)) };
        }
        case 'DELETE':
          return { status: estate.deleteWorkflow(sub, rg, name) ? 200 : 204 };
        default:
          throw methodNotAllowed(method, path);
      }
    }

    const wf = estate.workflow(sub, rg, name);
    const [first, second, third, fourth, fifth] = rest;

    if (rest.length === 1 && (eq(first, 'enable') || eq(first, 'disable'))) {
      if (method !== 'POST') throw methodNotAllowed(method, path);
      const enable = eq(first, 'enable');
      estate.setWorkflowState(wf, enable ? 'Enabled' : 'Disabled', enable ? 'enable' : 'disable');
      return { status: 200 };
    }

    if (eq(first, 'triggers')) {
      if (second === undefined) {
        if (method !== 'GET') throw methodNotAllowed(method, path);
        const state = parseEqFilter(request.url, 'State');
        const now = this.options.clock.now();
        const items = wf.triggers
          .map((t) => ({ t, s: estate.triggerState(wf, t) }))
          .filter(({ s }) => state === undefined || eq(s, state))
          .map(({ t, s }) => triggerResource(wf, t, s, now));
        return { status: 200, body: this.page(request.url, items) };
      }
      const trigger = estate.trigger(wf, second);
      if (third === undefined) {
        if (method !== 'GET') throw methodNotAllowed(method, path);
        return {
          status: 200,
          body: triggerResource(wf, trigger, estate.triggerState(wf, trigger), this.options.clock.now()),
        };
      }
      if (method !== 'POST' || fourth !== undefined) throw methodNotAllowed(method, path);
      if (eq(third, 'run')) {
        if (wf.state !== 'Enabled') throw disabledError(wf);
        estate.recordRun(wf, trigger.name, 'manual');
        return { status: 200 };
      }
      if (eq(third, 'listCallbackUrl'))
        return { status: 200, body: await this.callbackUrl(wf, trigger.name) };
      if (eq(third, 'setState')) {
        estate.setTriggerState(wf, trigger, this.sourceTriggerState(parseJsonBody(request.body)));
        return { status: 200 };
      }
      throw notFoundPath(path);
    }

    if (eq(first, 'versions') && second !== undefined && eq(third, 'triggers') && fourth !== undefined) {
      if (method !== 'POST' || !eq(fifth, 'listCallbackUrl') || rest.length !== 5) throw notFoundPath(path);
      if (!wf.versions.has(second)) {
        throw new ArmError(
          404,
          'WorkflowVersionNotFound',
          `The workflow '${wf.name}' version '${second}' could not be found.`,
        );
      }
      parseJsonBody(request.body);
      const trigger = estate.trigger(wf, fourth);
      return { status: 200, body: await this.callbackUrl(wf, trigger.name, second) };
    }

    if (eq(first, 'runs')) {
      if (method !== 'GET') throw methodNotAllowed(method, path);
      if (second === undefined) {
        const status = parseEqFilter(request.url, 'Status');
        const items = [...wf.runs]
          .reverse()
          .filter((r) => status === undefined || eq(r.status, status))
          .map((r) => runResource(wf, r));
        return { status: 200, body: this.page(request.url, items) };
      }
      const run = wf.runs.find((r) => eq(r.name, second));
      if (!run || rest.length !== 2) {
        throw new ArmError(
          404,
          'WorkflowRunNotFound',
          `The workflow '${wf.name}' run '${second}' could not be found.`,
        );
      }
      return { status: 200, body: runResource(wf, run) };
    }

    throw notFoundPath(path);
  }

  /** Integration accounts: GET only (what `dr ready` reads); the rest of their API is not simulated. */
  private handleIntegrationAccount(
    method: string,
    request: ArmRequest,
    info: ArmPathInfo,
  ): Promise<ArmResponse> {
    const path = request.url.pathname;
    if (info.name === undefined || info.rest.length > 0) throw notFoundPath(path);
    if (method !== 'GET') throw methodNotAllowed(method, path);
    const account = this.options.estate.integrationAccount(
      info.subscriptionId as string,
      info.resourceGroup as string,
      info.name,
    );
    return Promise.resolve({ status: 200, body: integrationAccountResource(account) });
  }

  private handleWeb(method: string, request: ArmRequest, info: ArmPathInfo): Promise<ArmResponse> {
    const { estate } = this.options;
    const path = request.url.pathname;
    if (info.name === undefined) throw notFoundPath(path);
    const site = estate.site(info.subscriptionId as string, info.resourceGroup as string, info.name);
    const [first, second, third] = info.rest;
    if (first === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method, path);
      return Promise.resolve({ status: 200, body: siteResource(site) });
    }
    if (eq(first, 'config') && eq(second, 'appsettings')) {
      if (eq(third, 'list') && info.rest.length === 3) {
        if (method !== 'POST') throw methodNotAllowed(method, path);
        return Promise.resolve({ status: 200, body: appSettingsResource(site) });
      }
      if (third === undefined) {
        if (method !== 'PUT') throw methodNotAllowed(method, path);
        const body = parseJsonBody(request.body);
        const properties =
          typeof body === 'object' && body !== null
            ? (body as { properties?: unknown }).properties
            : undefined;
        if (
          typeof properties !== 'object' ||
          properties === null ||
          Array.isArray(properties) ||
          Object.values(properties).some((v) => typeof v !== 'string')
        ) {
          throw new ArmError(
            400,
            'InvalidRequestContent',
            'The app settings body must be { "properties": { <name>: <string value> } }.',
          );
        }
        estate.replaceAppSettings(site, properties as Record<string, string>);
        return Promise.resolve({ status: 200, body: appSettingsResource(site) });
      }
    }
    throw notFoundPath(path);
  }

  private sourceTriggerState(body: unknown): SimWorkflowState {
    const id =
      typeof body === 'object' && body !== null
        ? (body as { source?: { id?: unknown } }).source?.id
        : undefined;
    if (typeof id !== 'string') {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        'The setState body must be { "source": { "id": <trigger id> } }.',
      );
    }
    const info = describeArmPath(id.startsWith('/') ? id : `/${id}`);
    if (!info.subscriptionId || !info.resourceGroup || info.provider !== 'logic' || !info.name) {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        `The source trigger id '${id}' is not a workflow trigger id.`,
      );
    }
    if (!eq(info.rest[0], 'triggers') || info.rest[1] === undefined) {
      throw new ArmError(400, 'InvalidRequestContent', `The source trigger id '${id}' names no trigger.`);
    }
    const { estate } = this.options;
    const source = estate.workflow(info.subscriptionId, info.resourceGroup, info.name);
    return estate.triggerState(source, estate.trigger(source, info.rest[1]));
  }

  private async callbackUrl(
    wf: SimWorkflow,
    triggerName: string,
    version?: string,
  ): Promise<Record<string, unknown>> {
    const trigger = this.options.estate.trigger(wf, triggerName);
    if (trigger.type.toLowerCase() !== 'request') {
      throw new ArmError(
        400,
        'ApiNotSupported',
        `The 'ListCallbackUrl' API is not supported by triggers of type '${trigger.type}'.`,
      );
    }
    const base = await this.options.runtimeBaseUrl(wf.location);
    const versionPath = version === undefined ? '' : `/versions/${version}`;
    const basePath = `${base}/workflows/${wf.runtimeId}${versionPath}/triggers/${encodeURIComponent(trigger.name)}/paths/invoke`;
    const sp = `${versionPath}/triggers/${trigger.name}/run`;
    const sv = '1.0';
    const sig = this.options.estate.callbackSignature(wf, sp, sv);
    const query = new URLSearchParams({ 'api-version': CALLBACK_API_VERSION, sp, sv, sig });
    return {
      value: `${basePath}?${query.toString()}`,
      method: trigger.method ?? 'POST',
      basePath,
      queries: { 'api-version': CALLBACK_API_VERSION, sp, sv, sig },
    };
  }

  private accessEndpoint(wf: SimWorkflow): string {
    const base = this.options.runtimeEndpoint(wf.location) ?? `https://${wf.location}.logic.sim`;
    return `${base}/workflows/${wf.runtimeId}`;
  }

  private page(url: URL, items: unknown[]): { value: unknown[]; nextLink?: string } {
    const top = parseTop(url) ?? this.options.defaultPageSize;
    const skipRaw = url.searchParams.get('$skiptoken');
    const skip = skipRaw === null ? 0 : Number(skipRaw);
    if (!Number.isInteger(skip) || skip < 0) {
      throw new ArmError(
        400,
        'InvalidQueryParameterValue',
        `The $skiptoken '${String(skipRaw)}' is not valid.`,
      );
    }
    const value = items.slice(skip, skip + top);
    if (skip + top >= items.length) return { value };
    const next = new URL(url.pathname, this.options.armBaseUrl());
    for (const [k, v] of url.searchParams)
      if (k !== '$skiptoken' && k !== '$top') next.searchParams.set(k, v);
    next.searchParams.set('$top', String(top));
    next.searchParams.set('$skiptoken', String(skip + top));
    return { value, nextLink: next.toString() };
  }
}

export function disabledError(wf: SimWorkflow): ArmError {
  return new ArmError(
    WORKFLOW_DISABLED.status,
    WORKFLOW_DISABLED.code,
    `The workflow '${wf.name}' cannot be triggered because it is disabled.`,
  );
}
