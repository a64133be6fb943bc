import { type Agent } from 'node:https';
import { type ArmSimulator } from './simulator';

export { startArmSimulator } from './simulator';
export type {
  ArmResponseRecord,
  ArmSimulator,
  ArmSimulatorOptions,
  RequestLogEntry,
  SimWorkflowSummary,
  SimRouterRef,
} from './simulator';
export type { RouteNow } from './routers';
export { APIM_API_VERSION, CDN_API_VERSION, TRAFFIC_MANAGER_API_VERSION } from './routers';
export { createSimControlHandler } from './control';
export type { SimSeed } from './seed';
export type { SimRun, SimRunOrigin, SimWorkflowState, SimPlan, StateChange, StateChangeCause } from './model';
export type { RegionFault, RegionFaultInput, RegionFaultKind, RegionFaultState } from './faults';
export { ARM_THROTTLE_LIMITS, type ThrottleLimits, type BucketLimits } from './throttle';
export { ArmError, SimInputError, SimStateError } from './errors';
export { LOGIC_API_VERSION, CALLBACK_API_VERSION, WORKFLOW_DISABLED } from './routes';
export { normaliseLocation } from './location';
export { simulatorConnection, simulatorCredential, type SimulatorInfo } from './connection';

/** Options to spread into `new LogicManagementClient(cred, sub, …)` / `new WebSiteManagementClient(…)`. */
export interface ArmClientOptions {
  endpoint: string;
  /** Scope for the stock bearer policy; without it the SDK would ask for `<endpoint>/.default`. */
  credentialScopes: string[];
  /** Trusts the simulator's CA for this client only; no NODE_EXTRA_CA_CERTS needed. */
  agent: Agent;
}

/**
 * Client options that point a stock Azure SDK client (bearer policy included) at the simulator over HTTPS.
 * Uses the core-rest-pipeline `agent` option, honoured by @azure/arm-logic 8 and @azure/arm-appservice 19.
 */
export function armClientOptionsFor(sim: Pick<ArmSimulator, 'armEndpoint' | 'agent'>): ArmClientOptions {
  return {
    endpoint: sim.armEndpoint,
    credentialScopes: ['https://management.azure.com/.default'],
    agent: sim.agent,
  };
}
