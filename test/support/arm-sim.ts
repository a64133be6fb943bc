/**
 * The ARM simulator set-up the adapter and simulator tests share: a seed of one subscription, and the stock SDK
 * clients (or the Logic Apps adapter on them) pointed at a simulator over HTTPS.
 */
import { LogicManagementClient } from '@azure/arm-logic';
import {
  armClientOptionsFor,
  simulatorCredential,
  type ArmSimulator,
  type SimSeed,
} from '../../local/sim/arm';
import { createArmLogicAppsControl, type ArmConnection } from '../../src/adapters/logicapps/arm';

type SeedResourceGroup = NonNullable<SimSeed['subscriptions'][number]['resourceGroups']>[number];

/** A simulator seed of one subscription holding these resource groups. */
export function oneSubscriptionSeed(id: string, resourceGroups: SeedResourceGroup[]): SimSeed {
  return { subscriptions: [{ id, resourceGroups }] };
}

/** The stock `@azure/arm-logic` client for one subscription of the simulator. */
export function simLogicClient(sim: ArmSimulator, subscriptionId: string): LogicManagementClient {
  return new LogicManagementClient(simulatorCredential, subscriptionId, armClientOptionsFor(sim));
}

/** The Logic Apps adapter against the simulator, without SDK retries unless `extra` says otherwise. */
export function simLogicAppsControl(sim: ArmSimulator, extra: Omit<ArmConnection, 'credential'> = {}) {
  return createArmLogicAppsControl({
    credential: simulatorCredential,
    ...armClientOptionsFor(sim),
    maxRetries: 0,
    ...extra,
  });
}
