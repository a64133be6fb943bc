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
      if (method === 'GET') return { status: 200, body: engine.list(filterFrom(req.query)) };
      if (method === 'DELETE') {
        const deleted = engine.purgeBy(filterFrom(req.query));
        return deleted > 0 ? { status: 200, body: { instancesDeleted: deleted } } : { status: 404 };
      }
    } else if (verb === undefined) {
      if (method === 'GET') {
        const status = engine.getStatus(id, {
          showHistory: req.query.get('showHistory') === 'true',
          showInput: req.query.get('showInput') !== 'false',
        });
        if (!status) return { status: 404 };
        return { status: statusCode(status), body: status };
      }
      if (method === 'DELETE') {
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

function deliveryResponse(result: 'accepted' | 'notFound' | 'notRunning', id: string): ApiResponse {
  if (result === 'notFound') return { status: 404, body: { message: `No instance with ID '${id}' found.` } };
  if (result === 'notRunning') return { status: 410, body: { message: `Instance '${id}' is not running.` } };
  return { status: 202 };
}
