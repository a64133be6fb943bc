/**
 * The signing keys of an Entra tenant, read the way an OpenID Connect relying party reads them: the tenant's
 * discovery document (`<authority>/<tenant>/v2.0/.well-known/openid-configuration`) names the issuer and the
 * JWKS URL; the key set is cached, re-read when a token names a key id it does not have (at most once per
 * `minRefreshMs`, so forged key ids cannot make us hammer the tenant), and re-read anyway after `maxAgeMs`.
 * Nothing here decides whether a token is good: src/http/entra-token.ts does, with `jose`.
 */
import { request } from 'node:https';
import type { JSONWebKeySet } from 'jose';

export interface OidcKeySourceOptions {
  /** The login endpoint, e.g. https://login.microsoftonline.com (a sovereign cloud's, or a local issuer). */
  authority: string;
  /** The tenant id (a GUID) or a verified domain of the tenant. */
  tenantId: string;
  /** A private CA to trust (a local issuer in tests); Entra itself needs none. */
  ca?: string;
  /** Per request (default 5 s): a hung identity provider must not hold up a request for long. */
  timeoutMs?: number;
  /** Least time between two reads of the key set caused by unknown key ids (default 60 s). */
  minRefreshMs?: number;
  /** Keys older than this are read again before use (default 24 h). */
  maxAgeMs?: number;
  now?: () => number;
}

/** The identity provider could not be read: nobody can be verified, so the caller is refused (503). */
export class OidcUnavailableError extends Error {
  override name = 'OidcUnavailableError';
}

export interface TenantKeys {
  /** The issuer every token must carry, as the discovery document says. */
  issuer: string;
  keys: JSONWebKeySet;
  /** When this key set was read (the source's clock). */
  readAt: number;
}

const MAX_DOCUMENT_BYTES = 256 * 1024;

export class OidcKeySource {
  readonly #o: Required<Omit<OidcKeySourceOptions, 'ca'>> & { ca?: string };
  readonly discoveryUrl: string;
  #current: TenantKeys | undefined;
  #reading: Promise<TenantKeys> | undefined;
  #lastRead = Number.NEGATIVE_INFINITY;
  /** How many times the key set was fetched (for tests and the start-up log). */
  reads = 0;

  constructor(options: OidcKeySourceOptions) {
    const authority = validAuthority(options.authority);
    if (!/^[A-Za-z0-9.-]+$/.test(options.tenantId))
      throw new Error(`tenant id ${JSON.stringify(options.tenantId)} is neither a GUID nor a domain name`);
    this.#o = {
      timeoutMs: 5_000,
      minRefreshMs: 60_000,
      maxAgeMs: 24 * 60 * 60_000,
      now: () => Date.now(),
      ...options,
      authority,
    };
    this.discoveryUrl = `${authority}/${options.tenantId}/v2.0/.well-known/openid-configuration`;
  }

  /** The cached keys, read first if there are none yet or they are older than maxAgeMs. */
  async current(): Promise<TenantKeys> {
    const c = this.#current;
    if (c && this.#o.now() - c.readAt < this.#o.maxAgeMs) return c;
    return this.#read();
  }

  /**
   * A token named a key id the cached set lacks (the tenant rotated its keys, or the token is forged): read
   * the set again unless it was read less than minRefreshMs ago. Returns the keys to try, and whether they
   * are fresh from this call.
   */
  async afterUnknownKey(): Promise<{ keys: TenantKeys; refreshed: boolean }> {
    if (this.#o.now() - this.#lastRead < this.#o.minRefreshMs && this.#current)
      return { keys: this.#current, refreshed: false };
    return { keys: await this.#read(), refreshed: true };
  }

  #read(): Promise<TenantKeys> {
    // One read at a time: concurrent requests share it.
    this.#reading ??= this.#fetchKeys().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #fetchKeys(): Promise<TenantKeys> {
    this.#lastRead = this.#o.now();
    const discovery = await this.#getJson(this.discoveryUrl, 'discovery document');
    const issuer = (discovery as { issuer?: unknown }).issuer;
    const jwksUri = (discovery as { jwks_uri?: unknown }).jwks_uri;
    if (typeof issuer !== 'string' || !issuer)
      throw new OidcUnavailableError(`the discovery document at ${this.discoveryUrl} names no issuer`);
    if (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://'))
      throw new OidcUnavailableError(
        `the discovery document at ${this.discoveryUrl} names no https jwks_uri`,
      );
    const keys = await this.#getJson(jwksUri, 'signing keys (JWKS)');
    if (!Array.isArray((keys as { keys?: unknown }).keys))
      throw new OidcUnavailableError(`the key set at ${jwksUri} has no "keys" array`);
    this.reads += 1;
    this.#current = { issuer, keys: keys as JSONWebKeySet, readAt: this.#o.now() };
    return this.#current;
  }

  #getJson(url: string, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        reject(new OidcUnavailableError(`cannot read the ${what} at ${url}: ${why}`));
      const req = request(
        url,
        {
          method: 'GET',
          headers: { accept: 'application/json' },
          timeout: this.#o.timeoutMs,
          ...(this.#o.ca ? { ca: this.#o.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_DOCUMENT_BYTES) {
              req.destroy();
              fail(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
            } else chunks.push(c);
          });
          res.on('error', (err) => fail(err.message));
          res.on('end', () => {
            if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
              fail('not JSON');
            }
          });
        },
      );
      req.on('timeout', () => {
        req.destroy();
        fail(`no answer within ${this.#o.timeoutMs} ms`);
      });
      req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
      req.end();
    });
  }
}

function validAuthority(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(
      `sign-in authority ${JSON.stringify(raw)} is not a URL (e.g. https://login.microsoftonline.com)`,
    );
  }
  if (url.protocol !== 'https:') throw new Error(`sign-in authority ${JSON.stringify(raw)} must be https`);
  return url.origin;
}
