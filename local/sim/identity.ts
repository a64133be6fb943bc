/**
 * A local managed-identity endpoint, speaking the App Service protocol that `@azure/identity` uses in a Function
 * App (`GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=...` with header `X-IDENTITY-HEADER`). Pointing
 * IDENTITY_ENDPOINT and IDENTITY_HEADER at it lets the shipped composition root reach the ARM simulator with its
 * stock DefaultAzureCredential, the way it reaches ARM in Azure: no placeholder credential in the product.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IdentityEndpoint {
  /** For IDENTITY_ENDPOINT. */
  readonly url: string;
  /** For IDENTITY_HEADER: the secret a caller must send back. */
  readonly header: string;
  /** Tokens handed out, by resource (audience). */
  readonly issued: readonly { resource: string; clientId?: string }[];
  stop(): Promise<void>;
}

const TOKEN_LIFETIME_S = 3600;

export async function startIdentityEndpoint(): Promise<IdentityEndpoint> {
  const header = randomBytes(16).toString('hex');
  const issued: { resource: string; clientId?: string }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== '/msi/token') return reply(404, { error: 'not_found' });
    if (req.headers['x-identity-header'] !== header)
      return reply(401, {
        error: 'unauthorized',
        error_description: 'X-IDENTITY-HEADER is missing or wrong',
      });
    const resource = url.searchParams.get('resource');
    if (!resource || url.searchParams.get('api-version') !== '2019-08-01')
      return reply(400, {
        error: 'invalid_request',
        error_description: 'resource and api-version=2019-08-01 are required',
      });
    const clientId = url.searchParams.get('client_id') ?? undefined;
    issued.push({ resource, ...(clientId ? { clientId } : {}) });
    reply(200, {
      access_token: randomBytes(24).toString('base64url'),
      expires_on: String(Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S),
      resource,
      token_type: 'Bearer',
      ...(clientId ? { client_id: clientId } : {}),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/msi/token`,
    header,
    issued,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
