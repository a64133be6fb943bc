/**
 * A local OpenID Connect issuer shaped like an Entra tenant: over HTTPS (a throw-away CA the verifier is told
 * to trust), it serves `/<tenant>/v2.0/.well-known/openid-configuration` and the JWKS it names, and signs real
 * RS256 access tokens with its current key. Keys can be rotated (a new `kid`) and the server stopped, and it
 * counts how often its key set was read.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import { generateSimCertificates } from '../../local/sim/arm/cert';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = '6e3b3c1a-1d2f-4b4c-9e8f-0a1b2c3d4e5f';

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
  publicPem: string;
}

export interface LocalIssuer {
  /** The login endpoint to configure as the authority, e.g. https://127.0.0.1:1234 */
  authority: string;
  /** The `iss` its tokens carry. */
  issuer: string;
  ca: string;
  /** Reads of the JWKS so far. */
  keyReads(): number;
  current(): SigningKey;
  /** A new key pair with a new kid, published and used from now on (the old one stays published). */
  rotate(): Promise<SigningKey>;
  /** A key pair this issuer never publishes. */
  stranger(): Promise<SigningKey>;
  /** A signed token: roles and name as given, iss/aud/iat/nbf/exp defaulting to a valid token for now. */
  token(
    claims?: JWTPayload,
    options?: { key?: SigningKey; header?: Record<string, unknown> },
  ): Promise<string>;
  stop(): Promise<void>;
}

async function newKey(n: number): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: `key-${n}`, use: 'sig', alg: 'RS256' };
  return { kid: `key-${n}`, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const certs = await generateSimCertificates();
  let keyCount = 0;
  const published: SigningKey[] = [await newKey(++keyCount)];
  let reads = 0;
  let base = '';
  const server: Server = createServer({ key: certs.serverKeyPem, cert: certs.serverCertPem }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === `/${TENANT}/v2.0/.well-known/openid-configuration`)
      return send(200, {
        issuer: `${base}/${TENANT}/v2.0`,
        authorization_endpoint: `${base}/${TENANT}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/${TENANT}/oauth2/v2.0/token`,
        jwks_uri: `${base}/${TENANT}/discovery/v2.0/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
        subject_types_supported: ['pairwise'],
      });
    if (path === `/${TENANT}/discovery/v2.0/keys`) {
      reads += 1;
      return send(200, { keys: published.map((k) => k.publicJwk) });
    }
    return send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/${TENANT}/v2.0`;
  const current = () => published.at(-1)!;
  return {
    authority: base,
    issuer,
    ca: certs.caCertPem,
    keyReads: () => reads,
    current,
    async rotate() {
      const key = await newKey(++keyCount);
      published.push(key);
      return key;
    },
    stranger: () => newKey(1000 + ++keyCount),
    async token(claims = {}, options = {}) {
      const key = options.key ?? current();
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: CLIENT_ID,
        iat: now,
        nbf: now - 5,
        exp: now + 3600,
        tid: TENANT,
        oid: '00000000-0000-0000-0000-0000000000aa',
        ver: '2.0',
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...options.header })
        .sign(key.privateKey);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
