/**
 * ARM through the local simulator (`npm start`, the drill, tests, `dr ... --sim`): the stock SDK pipeline with
 * the simulator's CA trusted for these clients only (through the control plane's own pooled agent), and a
 * placeholder bearer token (the simulator checks that one is sent, not its content). Local only: the control
 * plane that ships to Azure has no such credential.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { ArmConnection } from '../../../src/adapters/logicapps/arm';
import { createArmAgent } from '../../../src/adapters/arm/agent';
import { ArmThrottle } from '../../../src/adapters/arm/throttle';
import { DEFAULT_ARM_TIMEOUT_MS } from '../../../src/adapters/arm/timeout';
import { PUBLIC_ARM_SCOPE } from '../../../src/config/arm';

/** The token the simulator accepts. */
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

/** The scope does not matter to the simulator: public ARM's, as a real client asks. */
export function simulatorConnection(
  info: SimulatorInfo,
  throttle = new ArmThrottle(),
  timeoutMs = DEFAULT_ARM_TIMEOUT_MS,
): ArmConnection {
  return {
    credential: simulatorCredential,
    endpoint: info.armEndpoint,
    credentialScopes: [PUBLIC_ARM_SCOPE],
    agent: createArmAgent({ ca: info.caCertPem }),
    throttle,
    timeoutMs,
  };
}
