/** How a local server (the host, the simulator control API) takes a caller's key, as the Functions host does. */
import type * as http from 'node:http';
import { keysMatch } from '../../src/http/auth';

/**
 * The key a caller presents: `x-functions-key` or `?code=`; on the Durable routes also the password of Basic
 * authentication, which is how durable-functions' client sends the key it was given in the RPC base URL's
 * user info (it adds no query string or header of its own to RPC calls).
 */
function presentedKey(req: http.IncomingMessage, url: URL, basicToo: boolean): string | undefined {
  const header = req.headers['x-functions-key'];
  const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? undefined;
  if (given !== undefined || !basicToo) return given;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (!basic) return undefined;
  const pair = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  return colon < 0 ? undefined : pair.slice(colon + 1);
}

/** Whether the caller presents one of `keys` (each compared in constant time). */
export function presentsKey(
  req: http.IncomingMessage,
  url: URL,
  keys: readonly string[],
  accept: { basic?: boolean } = {},
): boolean {
  const given = presentedKey(req, url, accept.basic ?? false);
  if (given === undefined) return false;
  let ok = false;
  for (const key of keys) if (keysMatch(given, key)) ok = true;
  return ok;
}
