/**
 * The composition root for ARM access: which endpoint, which credential, which CA. Reads settings once;
 * everything below takes the resulting ArmConnection.
 */
import { readFileSync } from 'node:fs';
import { DefaultAzureCredential } from '@azure/identity';
import type { ArmConnection } from '../adapters/logicapps/arm';
import { createArmAgent } from '../adapters/arm/agent';
import { ArmThrottle } from '../adapters/arm/throttle';
import { DEFAULT_ARM_TIMEOUT_MS } from '../adapters/arm/timeout';
import { DurationError, durationMs } from '../core/duration';

export const PUBLIC_ARM_SCOPE = 'https://management.azure.com/.default';

/** An ARM setting that cannot be used; the message names the setting and the value. */
export class ArmSettingsError extends Error {
  override name = 'ArmSettingsError';
}

/** Bounds of DR_ARM_TIMEOUT: below 1 s healthy ARM calls would fail; above 10 min a hung region still stalls. */
const TIMEOUT_MIN_MS = 1_000;
const TIMEOUT_MAX_MS = 600_000;

/** DR_ARM_TIMEOUT: an ISO 8601 duration (`PT15S`) or a whole number of milliseconds; default 15 s. */
export function armTimeoutFromSettings(settings: Readonly<Record<string, string | undefined>>): number {
  const raw = settings.DR_ARM_TIMEOUT?.trim();
  if (!raw) return DEFAULT_ARM_TIMEOUT_MS;
  let ms: number;
  if (/^\d+$/.test(raw)) ms = Number(raw);
  else {
    try {
      ms = durationMs(raw, 'DR_ARM_TIMEOUT');
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      throw new ArmSettingsError(`${err.message} (or a number of milliseconds, e.g. 15000)`);
    }
  }
  if (ms < TIMEOUT_MIN_MS || ms > TIMEOUT_MAX_MS) {
    throw new ArmSettingsError(
      `DR_ARM_TIMEOUT: ${JSON.stringify(raw)} is ${ms} ms; it must be between ${TIMEOUT_MIN_MS} ms (PT1S) and ${TIMEOUT_MAX_MS} ms (PT10M)`,
    );
  }
  return ms;
}

/**
 * DR_ARM_ENDPOINT (a sovereign cloud's ARM) and the token scope for it: DR_ARM_SCOPE when set, otherwise the
 * endpoint's own audience (`https://management.usgovcloudapi.net/.default` for US Government), since a token
 * for public ARM is refused by every other cloud.
 */
export function armEndpointFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
): { endpoint: string; credentialScopes: string[] } | undefined {
  const endpoint = settings.DR_ARM_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // new URL's "Invalid URL"
    throw new ArmSettingsError(
      `DR_ARM_ENDPOINT: ${JSON.stringify(endpoint)} is not a URL (e.g. https://management.usgovcloudapi.net)`,
    );
  }
  if (url.protocol !== 'https:') {
    throw new ArmSettingsError(`DR_ARM_ENDPOINT: ${JSON.stringify(endpoint)} must be an https URL`);
  }
  const scope = settings.DR_ARM_SCOPE?.trim() || `${url.origin}/.default`;
  return { endpoint, credentialScopes: [scope] };
}

/** The variables the SDK's proxy policy reads (either case); it routes through a proxy only without an agent. */
const PROXY_SETTINGS = ['HTTPS_PROXY', 'ALL_PROXY', 'HTTP_PROXY'];
const proxyConfigured = (settings: Readonly<Record<string, string | undefined>>) =>
  PROXY_SETTINGS.some((name) => settings[name]?.trim() || settings[name.toLowerCase()]?.trim());

/**
 * Real Azure: DefaultAzureCredential (the managed identity in Azure, `az login` on a laptop).
 * DR_ARM_ENDPOINT selects a sovereign cloud (DR_ARM_SCOPE overrides the token scope derived from it);
 * DR_ARM_CA_FILE trusts a private CA (e.g. the simulator); DR_ARM_TIMEOUT bounds each request.
 * Every setting is validated here, once, with an ArmSettingsError naming it.
 * Every ARM client shares one pooled agent (createArmAgent), except behind an HTTP(S) proxy without a private
 * CA: an agent of ours would bypass the SDK's proxy, which pools its own connections.
 */
export function armConnectionFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
): ArmConnection {
  const endpoint = armEndpointFromSettings(settings);
  const timeoutMs = armTimeoutFromSettings(settings);
  const caFile = settings.DR_ARM_CA_FILE?.trim();
  const clientId = settings.AZURE_CLIENT_ID?.trim();
  return {
    credential: new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}),
    ...(endpoint ?? {}),
    ...(caFile
      ? { agent: createArmAgent({ ca: readFileSync(caFile, 'utf8') }) }
      : proxyConfigured(settings)
        ? {}
        : { agent: createArmAgent() }),
    throttle: new ArmThrottle(),
    timeoutMs,
  };
}
