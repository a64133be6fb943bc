/**
 * Who is calling, and may they. The Functions host has already checked the function key. A signed-in caller
 * sends an Entra access token (`Authorization: Bearer`), which the API verifies itself (src/http/entra-token.ts:
 * App Service Authentication is not supported on Flex Consumption, so nothing in front can be relied on);
 * its app roles decide: `Failover.Operator` for every POST, `Failover.Reader` (or Operator) for reads.
 * `x-ms-client-principal` is never believed in Azure (any key holder could write it): only a local host
 * that says so in code believes it (the demo's hand-made principal); anywhere else a principal sent is refused
 * rather than silently ignored. A caller with only a function key is a reader: it may change the failover
 * state only where DR_KEY_IS_OPERATOR=true says so.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ForbiddenError, RequestValidationError, UnauthenticatedError } from './errors';
import type { TokenVerifier } from './entra-token';
import { MAX_PRINCIPAL_NAME_BYTES, operatorTextProblem } from './schemas';
import { plainText } from './redact';

export const APP_ROLES = { operator: 'Failover.Operator', reader: 'Failover.Reader' } as const;
/** `anonymous`: no key and no principal (the health probe of an availability test); it reveals nothing. */
export type Access = 'read' | 'operate' | 'anonymous';

export const PRINCIPAL_HEADER = 'x-ms-client-principal';
/** The caller name when no principal is forwarded: whoever holds a function key. */
export const FUNCTION_KEY_CALLER = 'function-key';

export interface Identity {
  /** Principal name, or `function-key`. Goes into the signal's Caller and the audit log. */
  by: string;
  roles: string[];
  /** `token`: a verified Entra access token; `principal`: a local host's hand-made principal; `anonymous`: /health. */
  via: 'token' | 'principal' | 'function-key' | 'anonymous';
}

const PrincipalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
});

const NAME_CLAIMS = [
  'name',
  'preferred_username',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'appid',
  'http://schemas.microsoft.com/identity/claims/objectidentifier',
];
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Decodes the forwarded principal; anything malformed is a 401 (and the header is never echoed). */
export function parsePrincipal(header: string, nameHeader?: string | null): { by: string; roles: string[] } {
  const text = header.trim();
  if (!BASE64.test(text)) throw new UnauthenticatedError(`${PRINCIPAL_HEADER} is not base64`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new UnauthenticatedError(`${PRINCIPAL_HEADER} is not base64-encoded JSON`);
  }
  const parsed = PrincipalSchema.safeParse(json);
  if (!parsed.success)
    throw new UnauthenticatedError(`${PRINCIPAL_HEADER} has no claims array of { typ, val } objects`);
  const { claims, name_typ, role_typ } = parsed.data;
  const claim = (types: string[]) => types.map((t) => claims.find((c) => c.typ === t)?.val).find(Boolean);
  // The name goes into the audit, the live log and notifications: one plain line, like a reason.
  const clean = (v: string | undefined): string | undefined => (v ? plainText(v).trim() || undefined : v);
  const by =
    clean(claim([...(name_typ ? [name_typ] : []), ...NAME_CLAIMS])) ?? clean(nameHeader ?? undefined);
  if (!by)
    throw new UnauthenticatedError(`${PRINCIPAL_HEADER} names nobody (no name, upn or object id claim)`);
  // The name travels into the monitor's state (a pause's `by`): bounded like any operator text.
  const problem = operatorTextProblem(by, MAX_PRINCIPAL_NAME_BYTES);
  if (problem) throw new RequestValidationError(`${PRINCIPAL_HEADER}`, [{ path: 'name', message: problem }]);
  const roleTypes = new Set([...(role_typ ? [role_typ] : []), ...ROLE_CLAIMS]);
  return { by, roles: claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val) };
}

export interface AuthOptions {
  /** DR_REQUIRE_PRINCIPAL=true: a function key alone is not enough, not even to read. */
  requirePrincipal: boolean;
  /**
   * DR_KEY_IS_OPERATOR=true (or a local host's code opt-in): a function key alone may change the failover
   * state. Off by default, so that a leaked key can read the status but not fail anything over.
   */
  keyIsOperator: boolean;
  /**
   * Whether x-ms-client-principal can be believed: only where a local host said so in code. Never from a
   * setting: in Azure nothing in front of a Flex Consumption app vouches for it.
   */
  trustPrincipal: boolean;
}

/** Why a principal cannot be believed here, and what to do: the 401 a caller sees. */
const UNTRUSTED_PRINCIPAL =
  `${PRINCIPAL_HEADER} was sent, but this API never believes it outside a local host: anyone with a ` +
  'function key could have written it. Sign in with an Entra access token (Authorization: Bearer) instead, ' +
  'or call with the function key alone (docs/security.md)';

/** How to sign in, or how to make signing in possible. */
function signInHint(signIn: boolean): string {
  return signIn
    ? `sign in (send an Entra access token with the app role ${APP_ROLES.operator} as Authorization: Bearer, along with the key)`
    : `configure Entra sign-in (azd env set DR_AUTH_CLIENT_ID <app registration client id>; docs/security.md) and call with an Entra access token with the app role ${APP_ROLES.operator}`;
}

/** Why a caller with only a function key may not change anything, and the two ways out: the 403 it sees. */
function keyOnlyReader(signIn: boolean): string {
  return (
    'a function key alone may read but not change the failover state: ' +
    `${signInHint(signIn)}, or let key holders operate with the app setting DR_KEY_IS_OPERATOR=true ` +
    '(azd env set DR_KEY_IS_OPERATOR true); see docs/security.md'
  );
}

/** The roles check shared by every way of signing in. */
function withRole(by: string, roles: string[], access: Access): void {
  const allowed = access === 'operate' ? [APP_ROLES.operator] : [APP_ROLES.reader, APP_ROLES.operator];
  if (!roles.some((r) => (allowed as string[]).includes(r))) {
    throw new ForbiddenError(
      `${by} lacks the app role ${allowed.join(' or ')} needed to ${access === 'operate' ? 'change' : 'read'} the failover state`,
      by,
    );
  }
}

const BEARER = /^Bearer[ \t]+(\S+)\s*$/i;

/**
 * The caller's identity, or a 401/403/503 error: a bearer token is verified by `signIn` (Entra sign-in
 * configured) or refused (not configured); without one, see authorise.
 */
export async function authoriseRequest(
  headers: { get(name: string): string | null },
  access: Access,
  options: AuthOptions,
  signIn: TokenVerifier | undefined,
): Promise<Identity> {
  const authorization = headers.get('authorization');
  const bearer = authorization ? BEARER.exec(authorization)?.[1] : undefined;
  if (authorization && /^Bearer\b/i.test(authorization.trim()) && !bearer)
    throw new UnauthenticatedError('the Authorization header says Bearer but carries no token');
  if (bearer === undefined) return authorise(headers, access, options, signIn !== undefined);
  if (!signIn)
    throw new UnauthenticatedError(
      'a bearer token was sent, but Entra sign-in is not configured on this Function App (app settings ' +
        'DR_AUTH_TENANT_ID and DR_AUTH_CLIENT_ID), so it cannot be verified: configure it (docs/security.md), ' +
        'or call with the function key alone',
    );
  const { by, roles } = await signIn.verify(bearer);
  withRole(by, roles, access);
  return { by, roles, via: 'token' };
}

/** The identity of a caller without a bearer token (a local principal, or the function key), or a 401/403. */
export function authorise(
  headers: { get(name: string): string | null },
  access: Access,
  options: AuthOptions,
  signIn = false,
): Identity {
  const header = headers.get(PRINCIPAL_HEADER);
  if (header === null || header.trim() === '') {
    if (options.requirePrincipal)
      throw new UnauthenticatedError(
        signIn || options.trustPrincipal
          ? 'sign in: this API requires an Entra access token (Authorization: Bearer) as well as the key (DR_REQUIRE_PRINCIPAL=true)'
          : 'DR_REQUIRE_PRINCIPAL=true, but Entra sign-in is not configured on this Function App (app settings ' +
              'DR_AUTH_TENANT_ID and DR_AUTH_CLIENT_ID), so no caller can sign in: configure it (docs/security.md)',
      );
    if (access === 'operate' && !options.keyIsOperator)
      throw new ForbiddenError(keyOnlyReader(signIn), FUNCTION_KEY_CALLER);
    return { by: FUNCTION_KEY_CALLER, roles: [], via: 'function-key' };
  }
  if (!options.trustPrincipal) throw new UnauthenticatedError(UNTRUSTED_PRINCIPAL);
  const { by, roles } = parsePrincipal(header, headers.get(`${PRINCIPAL_HEADER}-name`));
  withRole(by, roles, access);
  return { by, roles, via: 'principal' };
}

/**
 * Whether a presented key is the expected one, in constant time: both sides are hashed to equal-length
 * digests first, so neither the content nor the length of the key leaks through timing.
 */
export function keysMatch(given: string, expected: string): boolean {
  const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
