/**
 * The composition root for ARM access: which endpoint, which credential, which CA. Reads settings once;
 * everything below takes the resulting ArmConnection.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { DefaultAzureCredential } from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { ArmConnection } from '../adapters/logicapps/arm';
import { ArmThrottle } from '../adapters/arm/throttle';

export const PUBLIC_ARM_SCOPE = 'https://management.azure.com/.default';

/** The token the simulator accepts: it checks for a bearer token, not its content. */
export const simulatorCredential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'local-simulator',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};

export interface SimulatorInfo {
  armEndpoint: string;
  caCertPem: string;
}

/** ARM through the local simulator (`npm start`, tests): its CA is trusted for these clients only. */
export function simulatorConnection(info: SimulatorInfo, throttle = new ArmThrottle()): ArmConnection {
  return {
    credential: simulatorCredential,
    endpoint: info.armEndpoint,
    credentialScopes: [PUBLIC_ARM_SCOPE],
    agent: new Agent({ ca: info.caCertPem, keepAlive: true }),
    throttle,
  };
}

/**
 * Real Azure: DefaultAzureCredential (the managed identity in Azure, `az login` on a laptop).
 * DR_ARM_ENDPOINT selects a sovereign cloud; DR_ARM_CA_FILE trusts a private CA (e.g. the simulator).
 */
export function armConnectionFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
): ArmConnection {
  const endpoint = settings.DR_ARM_ENDPOINT?.trim();
  const caFile = settings.DR_ARM_CA_FILE?.trim();
  const clientId = settings.AZURE_CLIENT_ID?.trim();
  return {
    credential: new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}),
    ...(endpoint ? { endpoint, credentialScopes: [settings.DR_ARM_SCOPE?.trim() || PUBLIC_ARM_SCOPE] } : {}),
    ...(caFile ? { agent: new Agent({ ca: readFileSync(caFile, 'utf8'), keepAlive: true }) } : {}),
    throttle: new ArmThrottle(),
  };
}
