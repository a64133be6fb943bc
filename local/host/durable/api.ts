/**
 * The Durable extension's HTTP API as durable-functions 3.5.0 calls it: the RPC routes under `rpcBaseUrl`
 * (`/durabletask/`) and the public webhook routes (`/runtime/webhooks/durabletask/`) that management URLs
 * point at. Status codes follow the extension: status 200 Completed, 202 Pending/Running, 400
 * Failed/Terminated, 404 unknown; raiseEvent/terminate 202, 410 when the instance is no longer running.
 */
import { InstanceAlreadyRunningError, UnknownFunctionError } from '../errors';
import { decodePath } from '../routes';
import type { DurableEngine, InstanceFilter, InstanceStatus } from './engine';

export const RPC_PREFIX = '/durabletask/';
export const WEBHOOK_PREFIX = '/runtime/webhooks/durabletask/';

export interface ApiRequest {
  method: string;
  /** Path below the prefix, e.g. `instances/abc/raiseEvent/Approval`. */
  path: string;
  query: URLSearchParams;
  body: string;
  /** The `x-ms-continuation-token` request header of an instance query, when paging. */
  continuationToken?: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * The durable client input binding data (what `df.getClient(context)` reads). Every URL carries the system
 * key: the webhook URLs as `code=`, as the Functions host writes them; the RPC base URL in its user info,
 * because durable-functions builds RPC URLs relative to it (a query string would be dropped) and adds no
 * key of its own. Its HTTP client turns user info into Basic authentication, so the key travels in a
 * header. (The real host leaves RPC unauthenticated on a separate loopback-only port; here it shares the
 * API listener, so it needs the key like every other Durable route.)
 */
export function durableClientInput(
  baseUrl: string,
  taskHubName: string,
  systemKey: string,
): Record<string, unknown> {
  const hook = `${baseUrl}${WEBHOOK_PREFIX}`;
  const common = `taskHub=${encodeURIComponent(taskHubName)}&connection=Storage&code=${encodeURIComponent(systemKey)}`;
  const instance = `${hook}instances/INSTANCEID`;
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${hook}orchestrators/{functionName}[/{instanceId}]?code=${encodeURIComponent(systemKey)}`,
      createAndWaitOnNewInstancePostUri: `${hook}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${encodeURIComponent(systemKey)}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${common}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${common}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${common}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${common}`,
      purgeHistoryDeleteUri: `${instance}?${common}`,
      restartPostUri: `${instance}/restart?${common}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${common}`,
      resumePostUri: `${instance}/resume?reason={text}&${common}`,
    },
    baseUrl: `${baseUrl}${WEBHOOK_PREFIX.slice(0, -1)}`,
    requiredQueryStringParameters: common,
    rpcBaseUrl: withUserInfo(`${baseUrl}${RPC_PREFIX}`, systemKey),
    httpBaseUrl: `${baseUrl}${WEBHOOK_PREFIX.slice(0, -1)}`,
  };
}

function withUserInfo(url: string, key: string): string {
  const u = new URL(url);
  u.username = 'system';
  u.password = key;
  return u.href;
}

function managementPayload(
  baseUrl: string,
  taskHubName: string,
  systemKey: string,
  id: string,
): Record<string, string> {
  const urls = durableClientInput(baseUrl, taskHubName, systemKey).managementUrls as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(urls)) out[k] = v.replace('INSTANCEID', encodeURIComponent(id));
  out.id = id;
  return out;
}

function statusCode(s: InstanceStatus): number {
  if (s.runtimeStatus === 'Completed') return 200;
  if (s.runtimeStatus === 'Failed' || s.runtimeStatus === 'Terminated') return 400;
  return 202;
}

function filterFrom(query: URLSearchParams): InstanceFilter {
  const filter: InstanceFilter = {};
  const from = query.get('createdTimeFrom');
  const to = query.get('createdTimeTo');
  const statuses = query.get('runtimeStatus');
  const prefix = query.get('instanceIdPrefix');
  if (prefix) filter.instanceIdPrefix = prefix;
  if (from) filter.createdTimeFrom = Date.parse(from);
  if (to) filter.createdTimeTo = Date.parse(to);
  if (statuses) filter.runtimeStatus = statuses.split(',').filter(Boolean);
  return filter;
}

export function handleDurableApi(
  engine: DurableEngine,
  req: ApiRequest,
  ctx: { baseUrl: string; taskHubName: string; systemKey: string },
): ApiResponse {
  const parts = decodePath(req.path);
  if (!parts) return { status: 400, body: { message: 'The path has a malformed percent-escape.' } };
  const [head, id, verb, arg] = parts;
  const method = req.method.toUpperCase();

  if (head === 'orchestrators' && method === 'POST' && id !== undefined && parts.length <= 3) {
    const instanceId = verb;
    const inputJson = req.body.trim() === '' ? undefined : req.body;
    if (inputJson !== undefined) {
      try {
        JSON.parse(inputJson);
      } catch {
        return { status: 400, body: { message: 'The request body is not valid JSON.' } };
      }
    }
    try {
      const started = engine.startNew(id, { instanceId, inputJson });
      const payload = managementPayload(ctx.baseUrl, ctx.taskHubName, ctx.systemKey, started);
      return { status: 202, body: payload, headers: { Location: payload.statusQueryGetUri ?? '' } };
    } catch (err) {
      if (err instanceof UnknownFunctionError) return { status: 400, body: { message: err.message } };
      if (err instanceof InstanceAlreadyRunningError) return { status: 409, body: { message: err.message } };
      throw err;
    }
  }

  if (head === 'instances') {
    if (id === undefined || id === '') {
      if (method === 'GET') return listPage(engine, req);
      if (method === 'DELETE') {
        // As the extension: a purge by filter needs a start (400 without), and ends now unless told.
        if (!req.query.get('createdTimeFrom'))
          return { status: 400, body: "Please provide value for 'createdTimeFrom' parameter." };
        const filter = filterFrom(req.query);
        filter.createdTimeTo ??= engine.now();
        const deleted = engine.purgeBy(filter);
        return deleted > 0 ? { status: 200, body: { instancesDeleted: deleted } } : { status: 404 };
      }
    } else if (verb === undefined) {
      if (method === 'GET') {
        countRead(engine, 1);
        const status = engine.getStatus(id, {
          showHistory: req.query.get('showHistory') === 'true',
          showInput: req.query.get('showInput') !== 'false',
        });
        if (!status) return { status: 404 };
        return { status: statusCode(status), body: status };
      }
      if (method === 'DELETE') {
        const current = engine.getStatus(id, { showInput: false });
        if (!current) return { status: 404 };
        // As the extension: only an instance in a terminal state may be purged.
        if (!['Completed', 'Failed', 'Terminated'].includes(current.runtimeStatus))
          return {
            status: 412,
            body: `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${id} has status ${current.runtimeStatus}`,
          };
        return engine.purge(id) ? { status: 200, body: { instancesDeleted: 1 } } : { status: 404 };
      }
    } else if (verb === 'raiseEvent' && method === 'POST' && arg !== undefined) {
      const dataJson = req.body.trim() === '' ? undefined : req.body;
      return deliveryResponse(engine.raiseEvent(id, arg, dataJson), id);
    } else if (verb === 'terminate' && method === 'POST') {
      return deliveryResponse(engine.terminate(id, req.query.get('reason') ?? undefined), id);
    } else if (['rewind', 'suspend', 'resume', 'restart'].includes(verb ?? '') && method === 'POST') {
      return { status: 501, body: `The ${verb} operation is not supported by the in-process host.` };
    }
  }

  if (head === 'entities') {
    return { status: 501, body: 'Durable entities are not supported by the in-process host.' };
  }
  return { status: 404, body: { message: `No Durable API route for ${method} ${req.path}` } };
}

/** The extension's page size when a query gives no `top` (OrchestrationStatusQueryCondition.PageSize). */
export const DEFAULT_PAGE_SIZE = 100;

/** What clients read through this API, per engine: lets tests hold a route to the instances it needs. */
export interface ClientReads {
  /** Instance statuses returned (one per GET by id, one per instance in a query page). */
  instances: number;
  /** Query pages served. */
  pages: number;
}

const reads = new WeakMap<DurableEngine, ClientReads>();

function countRead(engine: DurableEngine, instances: number, pages = 0): void {
  const r = reads.get(engine) ?? { instances: 0, pages: 0 };
  r.instances += instances;
  r.pages += pages;
  reads.set(engine, r);
}

export function clientReads(engine: DurableEngine): ClientReads {
  return { ...(reads.get(engine) ?? { instances: 0, pages: 0 }) };
}

/**
 * One page of an instance query, as the Azure Storage provider serves it: instances in id order (the
 * Instances table's partition key), `top` at a time (default 100), the next page's start in
 * `x-ms-continuation-token` (opaque to clients; here the last id served, base64url).
 */
function listPage(engine: DurableEngine, req: ApiRequest): ApiResponse {
  const topText = req.query.get('top');
  const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
  if (!Number.isInteger(top) || top < 1)
    return { status: 400, body: { message: `top must be a positive integer, not '${topText}'` } };
  let after: string | undefined;
  if (req.continuationToken) {
    after = Buffer.from(req.continuationToken, 'base64url').toString('utf8');
    if (!after) return { status: 400, body: { message: 'The continuation token is malformed.' } };
  }
  const showInput = req.query.get('showInput') !== 'false';
  const ids = engine
    .ids(filterFrom(req.query))
    .filter((id) => after === undefined || id > after)
    .sort();
  const pageIds = ids.slice(0, top);
  const page = pageIds.map((id) => engine.getStatus(id, { showInput })!);
  countRead(engine, page.length, 1);
  const more = ids.length > top;
  return {
    status: 200,
    body: page,
    headers: more
      ? { 'x-ms-continuation-token': Buffer.from(pageIds.at(-1)!, 'utf8').toString('base64url') }
      : {},
  };
}

function deliveryResponse(result: 'accepted' | 'notFound' | 'notRunning', id: string): ApiResponse {
  if (result === 'notFound') return { status: 404, body: { message: `No instance with ID '${id}' found.` } };
  if (result === 'notRunning') return { status: 410, body: { message: `Instance '${id}' is not running.` } };
  return { status: 202 };
}
