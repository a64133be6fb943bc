/**
 * Entra sign-in verified by the API itself (no App Service Authentication on Flex Consumption), against a
 * local OpenID Connect issuer that serves a real discovery document and JWKS over HTTPS and signs real
 * tokens: every bad token is a 401 or 403 saying why, a rotated key is picked up without a restart, an
 * unreachable issuer fails closed (503), and x-ms-client-principal is never believed outside a local host.
 */
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSignIn } from '../../src/composition';
import { APP_ROLES, authoriseRequest, type Access } from '../../src/http/auth';
import {
  createEntraTokenVerifier,
  entraSignInFromSettings,
  type TokenVerifier,
} from '../../src/http/entra-token';
import { HttpApiError } from '../../src/http/errors';
import { DrApiClient } from '../../src/http/client';
import { httpSettingsFrom } from '../../src/http/runtime';
import { CLIENT_ID, startLocalIssuer, TENANT, type LocalIssuer } from './entra-issuer';
import { auditLines, inFuture, KEY, MIN, principal, startApiEstate, type ApiEstate } from './support';

let issuer: LocalIssuer;
beforeAll(async () => {
  issuer = await startLocalIssuer();
});
afterAll(async () => issuer?.stop());

const OPERATOR = { preferred_username: 'oncall@contoso.com', roles: [APP_ROLES.operator] };
const READER = { preferred_username: 'dashboard@contoso.com', roles: [APP_ROLES.reader] };
/** Production settings: key-only callers read, nobody's principal header is believed. */
const AZURE = { requirePrincipal: false, trustPrincipal: false, keyIsOperator: false };

function verifier(options: { minRefreshMs?: number; authority?: string } = {}): TokenVerifier {
  return createEntraTokenVerifier({
    authority: options.authority ?? issuer.authority,
    tenantId: TENANT,
    audiences: [`api://${CLIENT_ID}`, CLIENT_ID],
    ca: issuer.ca,
    ...(options.minRefreshMs !== undefined ? { minRefreshMs: options.minRefreshMs } : {}),
  });
}

const headers = (h: Record<string, string>) => ({
  get: (n: string) => h[n.toLowerCase()] ?? null,
});

/** The status and message a request with this bearer token gets, or the identity. */
async function outcome(signIn: TokenVerifier | undefined, token: string, access: Access = 'read') {
  try {
    return await authoriseRequest(headers({ authorization: `Bearer ${token}` }), access, AZURE, signIn);
  } catch (err) {
    if (err instanceof HttpApiError) return { status: err.status, error: err.message, headers: err.headers };
    throw err;
  }
}

describe('bearer tokens verified against the tenant discovery document and JWKS', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('an operator token may change the state, named by its user; a reader token may read', async () => {
    const v = verifier();
    expect(await outcome(v, await issuer.token(OPERATOR), 'operate')).toEqual({
      by: 'oncall@contoso.com',
      roles: [APP_ROLES.operator],
      via: 'token',
    });
    expect(await outcome(v, await issuer.token(READER), 'read')).toMatchObject({ via: 'token' });
    // The application id URI is an accepted audience too (v1-style tokens carry it).
    expect(await outcome(v, await issuer.token({ ...READER, aud: `api://${CLIENT_ID}` }))).toMatchObject({
      via: 'token',
    });
    // A daemon (client credentials) has no user name: it is named by its client id.
    const app = await issuer.token({
      azp: 'a1b2c3d4-0000-4000-8000-000000000001',
      roles: [APP_ROLES.reader],
    });
    expect(await outcome(v, app)).toMatchObject({ by: 'app:a1b2c3d4-0000-4000-8000-000000000001' });
  });

  it('roles: a reader on a POST is 403, a token without roles is 403', async () => {
    const v = verifier();
    expect(await outcome(v, await issuer.token(READER), 'operate')).toMatchObject({
      status: 403,
      error: `dashboard@contoso.com lacks the app role ${APP_ROLES.operator} needed to change the failover state`,
    });
    expect(await outcome(v, await issuer.token({ preferred_username: 'guest@contoso.com' }))).toMatchObject({
      status: 403,
      error: expect.stringContaining(
        'guest@contoso.com lacks the app role Failover.Reader or Failover.Operator',
      ),
    });
  });

  it.each([
    ['expired', { exp: now() - 600 }, /has expired/],
    ['not yet valid', { nbf: now() + 600 }, /not valid yet/],
    ['for another audience', { aud: 'api://someone-else' }, /another audience \(this API accepts api:\/\//],
    [
      'from another issuer',
      { iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' },
      /another issuer/,
    ],
  ] as const)('a token %s is 401 with the reason', async (_what, claims, reason) => {
    const r = await outcome(verifier(), await issuer.token({ ...OPERATOR, ...claims }), 'operate');
    expect(r).toMatchObject({ status: 401, error: expect.stringMatching(reason) });
  });

  it('a version 1 token (issuer sts.windows.net) is refused with the app registration setting to change', async () => {
    const v1 = await issuer.token({ ...OPERATOR, iss: `https://sts.windows.net/${TENANT}/` });
    expect(await outcome(verifier(), v1, 'operate')).toMatchObject({
      status: 401,
      error: expect.stringContaining('set api.requestedAccessTokenVersion=2 on the app registration'),
    });
  });

  it('a small clock skew is allowed (60 s), no more', async () => {
    const v = verifier();
    expect(await outcome(v, await issuer.token({ ...READER, exp: now() - 30 }))).toMatchObject({
      via: 'token',
    });
    expect(await outcome(v, await issuer.token({ ...READER, nbf: now() + 30 }))).toMatchObject({
      via: 'token',
    });
    expect(await outcome(v, await issuer.token({ ...READER, exp: now() - 90 }))).toMatchObject({
      status: 401,
    });
  });

  it('alg none and HS256 signed with the public key are refused (401), however good the claims', async () => {
    const claims = { iss: issuer.issuer, aud: CLIENT_ID, exp: now() + 600, nbf: now() - 5, ...OPERATOR };
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims))}.`;
    const v = verifier();
    expect(await outcome(v, unsigned, 'operate')).toMatchObject({
      status: 401,
      error: expect.stringMatching(/signing algorithm is not allowed \(only RS256/),
    });
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: issuer.current().kid })
      .sign(new TextEncoder().encode(issuer.current().publicPem));
    expect(await outcome(v, hs256, 'operate')).toMatchObject({
      status: 401,
      error: expect.stringMatching(/signing algorithm is not allowed/),
    });
    // A tampered payload under a real signature does not verify either.
    const [h, , s] = (await issuer.token(READER)).split('.');
    const tampered = `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
    expect(await outcome(v, tampered, 'operate')).toMatchObject({
      status: 401,
      error: /signature does not verify/,
    });
    expect(await outcome(v, 'not-a-jwt')).toMatchObject({ status: 401, error: /not a JWT/ });
  });

  it('an unknown kid is 401; the key set is re-read for it at most once per interval', async () => {
    let skewMs = 0;
    const v = createEntraTokenVerifier({
      authority: issuer.authority,
      tenantId: TENANT,
      audiences: [CLIENT_ID],
      ca: issuer.ca,
      minRefreshMs: 60_000,
      now: () => Date.now() + skewMs,
    });
    expect(await outcome(v, await issuer.token(READER))).toMatchObject({ via: 'token' });
    const reads = issuer.keyReads();
    const stranger = await issuer.stranger();
    const forged = async () => outcome(v, await issuer.token(OPERATOR, { key: stranger }), 'operate');
    // Read moments ago: the unknown kid is refused without asking the tenant again.
    expect(await forged()).toMatchObject({ status: 401, error: expect.stringContaining('kid unknown') });
    expect(issuer.keyReads()).toBe(reads);
    // A minute later one re-read is allowed; five forged kids in a row cost that one read, not five.
    skewMs = 61_000;
    for (let i = 0; i < 5; i++)
      expect(await forged()).toMatchObject({ status: 401, error: expect.stringContaining('kid unknown') });
    expect(issuer.keyReads()).toBe(reads + 1);
  });

  it('a key rotation (new kid) is picked up without a restart', async () => {
    const v = verifier({ minRefreshMs: 0 });
    expect(await outcome(v, await issuer.token(READER))).toMatchObject({ via: 'token' });
    const reads = issuer.keyReads();
    const rotated = await issuer.rotate();
    const r = await outcome(v, await issuer.token(OPERATOR, { key: rotated }), 'operate');
    expect(r).toMatchObject({ by: 'oncall@contoso.com', via: 'token' });
    expect(issuer.keyReads()).toBe(reads + 1);
    // Cached from now on.
    await outcome(v, await issuer.token(OPERATOR, { key: rotated }), 'operate');
    expect(issuer.keyReads()).toBe(reads + 1);
  });

  it('the issuer unreachable fails closed: 503 with the reason and Retry-After, never let through', async () => {
    const down = await startLocalIssuer();
    const v = createEntraTokenVerifier({
      authority: down.authority,
      tenantId: TENANT,
      audiences: [CLIENT_ID],
      ca: down.ca,
    });
    const token = await down.token(OPERATOR);
    await down.stop();
    const r = await outcome(v, token, 'operate');
    expect(r).toMatchObject({
      status: 503,
      error: expect.stringMatching(
        /^cannot verify the bearer token now: cannot read the discovery document at https:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED.*no request is let through unverified/,
      ),
      headers: { 'Retry-After': '30' },
    });
    // A server that answers with something else than the tenant's documents is no better.
    const wrong = verifier({ authority: 'https://127.0.0.1:1' });
    expect(await outcome(wrong, token, 'read')).toMatchObject({ status: 503 });
  });

  it('a bearer token where sign-in is not configured is 401, not ignored', async () => {
    expect(await outcome(undefined, await issuer.token(OPERATOR), 'operate')).toMatchObject({
      status: 401,
      error: expect.stringContaining('Entra sign-in is not configured'),
    });
  });
});

describe('x-ms-client-principal is never believed in Azure', () => {
  it('WEBSITE_AUTH_ENABLED=True does not make the header trustworthy; only a local host in code does', async () => {
    expect(httpSettingsFrom({ WEBSITE_AUTH_ENABLED: 'True' }).trustPrincipal).toBe(false);
    expect(httpSettingsFrom({ WEBSITE_AUTH_ENABLED: 'True' }, { principal: true }).trustPrincipal).toBe(true);
    const forged = principal('ceo@contoso.com', [APP_ROLES.operator]);
    const settings = httpSettingsFrom({ WEBSITE_AUTH_ENABLED: 'True', DR_KEY_IS_OPERATOR: 'false' });
    await expect(
      authoriseRequest(headers({ 'x-ms-client-principal': forged }), 'operate', settings, verifier()),
    ).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('never believes it outside a local host'),
    });
  });
});

describe('sign-in settings (composition root)', () => {
  it('reads DR_AUTH_CLIENT_ID / DR_AUTH_TENANT_ID / DR_AUTH_AUDIENCE / DR_AUTH_AUTHORITY, naming what is wrong', () => {
    expect(entraSignInFromSettings({})).toBeUndefined();
    expect(entraSignInFromSettings({ DR_AUTH_CLIENT_ID: CLIENT_ID, DR_AUTH_TENANT_ID: TENANT })).toEqual({
      authority: 'https://login.microsoftonline.com',
      tenantId: TENANT,
      audiences: [`api://${CLIENT_ID}`, CLIENT_ID],
    });
    expect(
      entraSignInFromSettings({
        DR_AUTH_CLIENT_ID: CLIENT_ID,
        DR_AUTH_TENANT_ID: TENANT,
        DR_AUTH_AUDIENCE: 'api://dr.contoso.com',
        DR_AUTH_AUTHORITY: 'https://login.microsoftonline.us',
      }),
    ).toMatchObject({
      authority: 'https://login.microsoftonline.us',
      audiences: ['api://dr.contoso.com', CLIENT_ID],
    });
    expect(() => entraSignInFromSettings({ DR_AUTH_CLIENT_ID: CLIENT_ID })).toThrow(
      /DR_AUTH_TENANT_ID is not set/,
    );
    expect(() => entraSignInFromSettings({ DR_AUTH_CLIENT_ID: 'dr-api', DR_AUTH_TENANT_ID: TENANT })).toThrow(
      /DR_AUTH_CLIENT_ID is "dr-api": use the app registration's client id/,
    );
    expect(() =>
      createEntraTokenVerifier({
        authority: 'http://login.example',
        tenantId: TENANT,
        audiences: [CLIENT_ID],
      }),
    ).toThrow(/must be https/);
  });
});

describe('through the API and the CLI client (in-process host, Azure settings)', () => {
  let estate: ApiEstate;
  beforeAll(async () => {
    estate = await startApiEstate({ trustPrincipal: false, keyIsOperator: false });
    installSignIn(verifier());
    await estate.advance(MIN);
  });
  afterAll(async () => {
    installSignIn(undefined);
    await estate?.stop();
  });

  it('an operator token pauses, a reader token is 403, both audited with via token', async () => {
    const body = { reason: 'patching', until: inFuture(estate, 30 * MIN) };
    const paused = await estate.call('POST', 'pause', { bearer: await issuer.token(OPERATOR), body });
    expect(paused.status).toBe(200);
    expect(auditLines(estate.logs).at(-1)).toMatchObject({
      route: 'POST /api/pause',
      caller: 'oncall@contoso.com',
      via: 'token',
      outcome: 'ok',
    });
    const refused = await estate.call('POST', 'resume', { bearer: await issuer.token(READER), body: {} });
    expect(refused.status).toBe(403);
    expect(auditLines(estate.logs).at(-1)).toMatchObject({
      caller: 'dashboard@contoso.com',
      outcome: 'denied',
    });
    expect((await estate.call('GET', 'status', { bearer: await issuer.token(READER) })).status).toBe(200);
    const expired = await estate.call('GET', 'status', {
      bearer: await issuer.token({ ...READER, exp: Math.floor(Date.now() / 1000) - 600 }),
    });
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatch(/has expired/);
  });

  it('the CLI client gets its token for DR_API_SCOPE from a credential and sends it', async () => {
    const scopes: string[] = [];
    const credential = {
      getToken: async (scope: string | string[]) => {
        scopes.push(String(scope));
        return { token: await issuer.token(READER), expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const client = new DrApiClient(
      { url: `${estate.host.url}/api`, key: KEY, scope: `api://${CLIENT_ID}/.default` },
      { credential },
    );
    expect((await client.get('status')).status).toBe(200);
    expect(scopes).toEqual([`api://${CLIENT_ID}/.default`]);
    const failing = new DrApiClient(
      { url: `${estate.host.url}/api`, key: KEY, scope: `api://${CLIENT_ID}/.default` },
      { credential: { getToken: () => Promise.reject(new Error('Please run az login')) } },
    );
    await expect(failing.get('status')).rejects.toThrow(
      `cannot get an Entra access token for DR_API_SCOPE=api://${CLIENT_ID}/.default: Please run az login (sign in with az login, or set DR_API_TOKEN)`,
    );
  });
});
