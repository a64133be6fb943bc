/**
 * Reading integration accounts through ARM (@azure/arm-logic), for `dr ready`: an integration account must be
 * in the same region as the workflow that uses it, or it fails with the region the workflow failed over from.
 */
import { LogicManagementClient } from '@azure/arm-logic';
import { ArmTerminalError, classifyArmError } from '../arm/errors';
import type { ArmConnection } from './arm';

export interface IntegrationAccountInfo {
  id: string;
  name: string;
  location: string;
}

/** Port: one read, by the resource id a workflow's `integrationAccount.id` names. */
export interface IntegrationAccounts {
  get(id: string): Promise<IntegrationAccountInfo>;
}

const INTEGRATION_ACCOUNT_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/integrationAccounts\/([^/]+)$/i;

export function createArmIntegrationAccounts(connection: ArmConnection): IntegrationAccounts {
  const clients = new Map<string, LogicManagementClient>();
  const client = (subscriptionId: string) => {
    let c = clients.get(subscriptionId);
    if (!c) {
      c = new LogicManagementClient(connection.credential, subscriptionId, {
        ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
        ...(connection.credentialScopes ? { credentialScopes: connection.credentialScopes } : {}),
        ...(connection.agent ? { agent: connection.agent } : {}),
        retryOptions: { maxRetries: connection.maxRetries ?? 2 },
      });
      // Reads share the subscription's throttle with the workflow reads.
      if (connection.throttle) c.pipeline.addPolicy(connection.throttle.policy(), { afterPhase: 'Retry' });
      clients.set(subscriptionId, c);
    }
    return c;
  };

  return {
    async get(id) {
      const context = { operation: 'get integration account', target: id };
      const m = INTEGRATION_ACCOUNT_ID.exec(id);
      if (!m) {
        throw new ArmTerminalError(
          'not the resource id of a Microsoft.Logic/integrationAccounts resource',
          context,
          undefined,
          'InvalidResourceId',
        );
      }
      try {
        const account = await client(m[1]!).integrationAccounts.get(m[2]!, m[3]!);
        return { id: account.id ?? id, name: account.name ?? m[3]!, location: account.location ?? '' };
      } catch (err) {
        throw classifyArmError(err, context);
      }
    },
  };
}
