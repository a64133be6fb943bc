/**
 * Sign-in without App Service Authentication (which Flex Consumption does not support): the API verifies an
 * Entra access token itself. `Authorization: Bearer <jwt>` is checked with `jose` against the tenant's keys
 * (src/adapters/entra/oidc-keys.ts): RS256 only (so `alg: none` and HS256 forged with the public key are
 * refused), the issuer from the tenant's discovery document, the API's audience (application id URI or
 * client id), `exp`/`nbf` with a small skew; then the `roles` claim decides, in src/http/auth.ts.
 * Every refusal is a 401 naming what was wrong; an identity provider that cannot be read is a 503: the
 * API never lets a token through unverified.
 */
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { OidcKeySource, OidcUnavailableError, type TenantKeys } from '../adapters/entra/oidc-keys';
import { HttpApiError, UnauthenticatedError } from './errors';
import { plainText } from './redact';

export interface EntraSignInSettings {
  /** The login endpoint (default https://login.microsoftonline.com). */
  authority: string;
  tenantId: string;
  /** Accepted `aud` values: the application id URI and the client id. */
  audiences: string[];
  /** Allowed clock skew for exp/nbf, seconds (default 60). */
  clockSkewSeconds?: number;
  /** A private CA (a local issuer in tests). */
  ca?: string;
  minRefreshMs?: number;
  now?: () => number;
}

/** Who a verified token says the caller is. */
export interface TokenCaller {
  by: string;
  roles: string[];
}

export interface TokenVerifier {
  verify(token: string): Promise<TokenCaller>;
  /** For the start-up line: where keys come from and which audiences count. */
  describe: string;
}

/** 503: the identity provider could not be read, so no token can be verified now. */
export class SignInUnavailableError extends HttpApiError {
  override name = 'SignInUnavailableError';
  constructor(message: string) {
    super(503, message, {}, { 'Retry-After': '30' });
  }
}

const ALGORITHMS = ['RS256'];

export function createEntraTokenVerifier(settings: EntraSignInSettings): TokenVerifier {
  const audiences = [...new Set(settings.audiences.map((a) => a.trim()).filter(Boolean))];
  if (audiences.length === 0) throw new Error('Entra sign-in needs at least one audience (the client id)');
  const now = settings.now ?? (() => Date.now());
  const source = new OidcKeySource({
    authority: settings.authority,
    tenantId: settings.tenantId,
    now,
    ...(settings.ca ? { ca: settings.ca } : {}),
    ...(settings.minRefreshMs !== undefined ? { minRefreshMs: settings.minRefreshMs } : {}),
  });
  const skew = settings.clockSkewSeconds ?? 60;

  const check = (token: string, keys: TenantKeys) =>
    jwtVerify(token, createLocalJWKSet(keys.keys), {
      algorithms: ALGORITHMS,
      issuer: keys.issuer,
      audience: audiences,
      clockTolerance: skew,
      currentDate: new Date(now()),
      requiredClaims: ['exp'],
    });

  const keysOr503 = async <T>(read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      if (err instanceof OidcUnavailableError)
        throw new SignInUnavailableError(
          `cannot verify the bearer token now: ${err.message}; no request is let through unverified, try again later`,
        );
      throw err;
    }
  };

  return {
    describe: `Entra ID tokens from ${source.discoveryUrl} for audience ${audiences.join(' or ')}`,
    async verify(token) {
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token))
        throw new UnauthenticatedError('the bearer token is not a JWT (three base64url parts)');
      let keys = await keysOr503(() => source.current());
      let payload: JWTPayload;
      try {
        payload = (await check(token, keys)).payload;
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw refusal(err, keys, audiences);
        // A key id we do not have: the tenant may have rotated its keys since we read them.
        const after = await keysOr503(() => source.afterUnknownKey());
        keys = after.keys;
        try {
          payload = (await check(token, keys)).payload;
        } catch (again) {
          throw refusal(again, keys, audiences, after.refreshed);
        }
      }
      return callerOf(payload);
    },
  };
}

/** A verification failure as the 401 the caller sees: what was wrong, never the token. */
function refusal(err: unknown, keys: TenantKeys, audiences: string[], refreshed = true): HttpApiError {
  if (err instanceof HttpApiError) return err;
  const e = err as { code?: string; claim?: string; message?: string; payload?: { iss?: unknown } };
  const why = (() => {
    switch (e.code) {
      case 'ERR_JWT_EXPIRED':
        return 'the token has expired (exp is past, beyond the allowed clock skew)';
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (e.claim === 'nbf')
          return 'the token is not valid yet (nbf is in the future, beyond the allowed clock skew)';
        if (e.claim === 'aud')
          return `the token is for another audience (this API accepts ${audiences.join(' or ')})`;
        if (e.claim === 'iss')
          return `the token was issued by another issuer (this API accepts ${keys.issuer})${v1Hint(e)}`;
        return `the token's ${e.claim ?? 'claims'} claim is invalid: ${e.message ?? ''}`.trim();
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return `the token's signing algorithm is not allowed (only ${ALGORITHMS.join(', ')} signed by the tenant)`;
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return refreshed
          ? "the token is signed with a key the tenant's key set does not have (kid unknown)"
          : "the token is signed with a key the tenant's key set does not have (kid unknown; the key set was read moments ago)";
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return 'the token signature does not verify';
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        return 'the token does not say which of the tenant keys signed it';
      default:
        return 'the token is malformed';
    }
  })();
  return new UnauthenticatedError(`bearer token refused: ${why}`);
}

/** A version 1 token (issuer sts.windows.net): the app registration asks for v1 tokens. */
function v1Hint(e: { payload?: { iss?: unknown } }): string {
  return typeof e.payload?.iss === 'string' && e.payload.iss.startsWith('https://sts.windows.net/')
    ? '; this is a version 1 token: set api.requestedAccessTokenVersion=2 on the app registration (docs/security.md)'
    : '';
}

const NAME_CLAIMS = ['preferred_username', 'upn', 'unique_name', 'email', 'name'] as const;

function callerOf(payload: JWTPayload): TokenCaller {
  const text = (v: unknown): string | undefined =>
    typeof v === 'string' && plainText(v).trim() ? plainText(v).trim() : undefined;
  const person = NAME_CLAIMS.map((c) => text(payload[c])).find(Boolean);
  // An application (client credentials) has no user name: it is named by its client id.
  const app = text(payload.azp) ?? text(payload.appid);
  const by = person ?? (app ? `app:${app}` : undefined) ?? text(payload.oid) ?? text(payload.sub);
  if (!by)
    throw new UnauthenticatedError('bearer token refused: it names nobody (no user name, client id or oid)');
  const roles = payload.roles;
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string')))
    throw new UnauthenticatedError('bearer token refused: its roles claim is not a list of app roles');
  return { by, roles: roles ?? [] };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Entra sign-in from app settings, or undefined when DR_AUTH_CLIENT_ID is not set (no sign-in: callers are
 * key-only). DR_AUTH_CLIENT_ID: the API's app registration (client id); DR_AUTH_TENANT_ID: its tenant;
 * DR_AUTH_AUDIENCE: the accepted audience (default both `api://<client id>` and the client id);
 * DR_AUTH_AUTHORITY: the login endpoint of a sovereign cloud (default https://login.microsoftonline.com).
 */
export function entraSignInFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
): EntraSignInSettings | undefined {
  const clientId = settings.DR_AUTH_CLIENT_ID?.trim();
  if (!clientId) return undefined;
  if (!GUID.test(clientId))
    throw new Error(
      `app setting DR_AUTH_CLIENT_ID is ${JSON.stringify(clientId)}: use the app registration's client id (a GUID)`,
    );
  const tenantId = settings.DR_AUTH_TENANT_ID?.trim();
  if (!tenantId)
    throw new Error(
      'app setting DR_AUTH_TENANT_ID is not set: Entra sign-in (DR_AUTH_CLIENT_ID) needs the tenant id of the app registration',
    );
  const audience = settings.DR_AUTH_AUDIENCE?.trim();
  return {
    authority: settings.DR_AUTH_AUTHORITY?.trim() || 'https://login.microsoftonline.com',
    tenantId,
    audiences: audience ? [audience, clientId] : [`api://${clientId}`, clientId],
  };
}
