/**
 * Claims-based security (`$cbs` put-token): which tokens the broker accepts and which entity paths
 * an accepted token covers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { entityKey, stripHost } from './addresses';

export const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';
export const JWT_TOKEN_TYPE = 'jwt';

export interface PutTokenRequest {
  audience: string;
  tokenType: string;
  token: unknown;
}

export type TokenVerdict = { ok: true } | { ok: false; description: string };

export interface TokenPolicy {
  /** Shared access key name → key; SAS tokens must be signed with one of them. */
  sasKeys: ReadonlyMap<string, string>;
  /** Decides JWTs (an Entra ID token cannot be verified offline); default: any non-empty token. */
  acceptJwt: (token: string) => boolean;
  nowMs: number;
}

export function verifyToken(request: PutTokenRequest, policy: TokenPolicy): TokenVerdict {
  const { token, tokenType, audience } = request;
  if (typeof token !== 'string' || token.length === 0) {
    return { ok: false, description: `put-token for '${audience}' carried an empty token` };
  }
  if (tokenType === JWT_TOKEN_TYPE) {
    return policy.acceptJwt(token)
      ? { ok: true }
      : { ok: false, description: `JWT for '${audience}' was rejected by the broker's policy` };
  }
  if (tokenType === SAS_TOKEN_TYPE) return verifySas(token, audience, policy);
  return { ok: false, description: `put-token for '${audience}' has unsupported token type '${tokenType}'` };
}

function verifySas(token: string, audience: string, policy: TokenPolicy): TokenVerdict {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix))
    return { ok: false, description: 'SAS token does not start with SharedAccessSignature' };
  const fields = new Map<string, string>();
  for (const pair of token.slice(prefix.length).split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  const skn = fields.get('skn');
  if (!sr || !sig || !se || !skn)
    return { ok: false, description: 'SAS token lacks one of sr, sig, se, skn' };
  const key = policy.sasKeys.get(decodeURIComponent(skn));
  if (key === undefined)
    return { ok: false, description: `SAS key name '${decodeURIComponent(skn)}' is unknown` };
  if (Number(se) * 1000 <= policy.nowMs) return { ok: false, description: 'SAS token has expired' };
  // The SDK signs the URL-encoded resource exactly as it appears in the token.
  const expected = createHmac('sha256', key).update(`${sr}\n${se}`).digest();
  const given = Buffer.from(decodeURIComponent(sig), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      description: `SAS signature for '${audience}' does not match key '${decodeURIComponent(skn)}'`,
    };
  }
  if (!covers(audiencePath(decodeURIComponent(sr)), audiencePath(audience))) {
    return {
      ok: false,
      description: `SAS token scope '${decodeURIComponent(sr)}' does not cover '${audience}'`,
    };
  }
  return { ok: true };
}

/** The entity path an audience names (`sb://host/queue` → `queue`; the namespace itself → ''). */
export function audiencePath(audience: string): string {
  return entityKey(stripHost(audience));
}

/** A token for a path covers that path and everything below it; '' is the whole namespace. */
export function covers(tokenPath: string, entityPath: string): boolean {
  const scope = entityKey(tokenPath);
  const path = entityKey(entityPath);
  return scope === '' || path === scope || path.startsWith(`${scope}/`);
}
