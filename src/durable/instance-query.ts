/**
 * Paged instance queries against the Durable extension's HTTP API (`GET instances/?instanceIdPrefix=&top=`
 * with `x-ms-continuation-token`). durable-functions 3.5.0's `getStatusBy` sends neither the prefix nor a page
 * size and follows every continuation token, so one call reads the whole filtered task hub; this reads one
 * page of one prefix, at the same endpoint and with the same binding data the SDK's client uses.
 */
import type { InstanceInfo } from './client';

export interface InstanceQuery {
  /** Only instances whose id starts with this (Azure Storage: a partition-key range, not a table scan). */
  instanceIdPrefix: string;
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  runtimeStatus?: readonly string[];
  /** Page size (the extension's default is 100). */
  top?: number;
  /** The instance inputs are not needed (saves reading large inputs from blobs). */
  showInput?: boolean;
}

export interface InstancePage {
  instances: InstanceInfo[];
  /** Pass back to read the next page; absent on the last page. */
  continuationToken?: string;
}

/** What the durable client input binding hands the SDK (durable-functions 3.5.0 OrchestrationClientInputData). */
interface ClientData {
  rpcBaseUrl?: string;
  managementUrls?: { id: string; statusQueryGetUri: string };
}

export class InstanceQueryError extends Error {
  override name = 'InstanceQueryError';
}

/** The extension's query URL for the client's task hub, and the Basic credentials its user info carries. */
function queryUrl(client: unknown): { url: URL; authorization?: string } {
  const data = (client as { clientData?: ClientData }).clientData;
  let url: URL;
  if (data?.rpcBaseUrl) url = new URL('instances/', data.rpcBaseUrl);
  else if (data?.managementUrls)
    url = new URL(data.managementUrls.statusQueryGetUri.replace(data.managementUrls.id, ''));
  else
    throw new InstanceQueryError(
      'the durable client carries no binding data (rpcBaseUrl or managementUrls): is it df.getClient(context)?',
    );
  // fetch refuses URLs with credentials: send them as the header axios (the SDK's client) would.
  if (!url.username) return { url };
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  return { url, authorization };
}

/** One page of the instances matching the query. */
export async function queryInstances(
  client: unknown,
  query: InstanceQuery,
  continuationToken?: string,
): Promise<InstancePage> {
  const { url, authorization } = queryUrl(client);
  url.searchParams.set('instanceIdPrefix', query.instanceIdPrefix);
  if (query.createdTimeFrom) url.searchParams.set('createdTimeFrom', query.createdTimeFrom.toISOString());
  if (query.createdTimeTo) url.searchParams.set('createdTimeTo', query.createdTimeTo.toISOString());
  if (query.runtimeStatus?.length) url.searchParams.set('runtimeStatus', query.runtimeStatus.join(','));
  url.searchParams.set('top', String(query.top ?? 100));
  if (query.showInput !== undefined) url.searchParams.set('showInput', String(query.showInput));
  const res = await fetch(url, {
    headers: {
      accept: 'application/json',
      ...(authorization ? { authorization } : {}),
      ...(continuationToken ? { 'x-ms-continuation-token': continuationToken } : {}),
    },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200)
    throw new InstanceQueryError(
      `the Durable extension answered ${res.status} to an instance query (prefix ${query.instanceIdPrefix}): ${text.slice(0, 200)}`,
    );
  const instances = JSON.parse(text) as InstanceInfo[];
  if (!Array.isArray(instances))
    throw new InstanceQueryError('the Durable extension answered an instance query with no array');
  const next = res.headers.get('x-ms-continuation-token');
  // The extension writes the header on every page; an empty or "null" token ends the query.
  return { instances, ...(next && next !== 'null' ? { continuationToken: next } : {}) };
}

/** Every instance matching the query, page by page, up to `maxPages` (then `truncated`). */
export async function queryAllInstances(
  client: unknown,
  query: InstanceQuery,
  maxPages: number,
): Promise<{ instances: InstanceInfo[]; truncated: boolean }> {
  const instances: InstanceInfo[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const p = await queryInstances(client, query, token);
    instances.push(...p.instances);
    token = p.continuationToken;
    if (!token) return { instances, truncated: false };
  }
  return { instances, truncated: true };
}
