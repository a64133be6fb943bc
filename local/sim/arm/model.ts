import { type Recurrence } from '../../../src/core/recurrence';

/** Workflow states the simulator stores; the spec enum has more, but only these two can be set. */
export type SimWorkflowState = 'Enabled' | 'Disabled';

/** Consumption workflows are ARM resources; Standard workflows live inside a Microsoft.Web site. */
export type SimPlan = 'consumption' | 'standard';

/** A trigger as read from the workflow definition. */
export interface SimTrigger {
  name: string;
  type: string;
  kind?: string;
  /** Parsed recurrence for Recurrence / SlidingWindow triggers (the ones the simulator fires). */
  recurrence?: Recurrence;
  /** The raw recurrence object, echoed in trigger resources. */
  rawRecurrence?: Record<string, unknown>;
  /** HTTP method a Request trigger declares, if any. */
  method?: string;
}

export interface SimWorkflow {
  plan: SimPlan;
  /** ARM id: `.../Microsoft.Logic/workflows/{name}` or `.../Microsoft.Web/sites/{site}/workflows/{name}`. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  site?: string;
  name: string;
  /** Normalised region name, e.g. `westeurope`. */
  location: string;
  tags: Record<string, string>;
  state: SimWorkflowState;
  createdTime: Date;
  changedTime: Date;
  version: string;
  /** Every version this workflow has had, for the versions/{v}/triggers routes. */
  versions: Set<string>;
  definition: Record<string, unknown>;
  parameters: Record<string, unknown>;
  /** `properties` the client sent that the simulator does not interpret; echoed back unchanged. */
  extraProperties: Record<string, unknown>;
  /** The resource's `identity` (managed identities), echoed back as sent; absent when it has none. */
  identity?: Record<string, unknown>;
  triggers: SimTrigger[];
  /** Per-trigger state set through triggers/setState; absent = Enabled. */
  triggerStates: Map<string, SimWorkflowState>;
  /** 32-hex id used in callback URLs, like the runtime's workflow id. */
  runtimeId: string;
  /** Virtual time the workflow last became enabled: the recurrence anchor when `startTime` is absent. */
  enabledSince: Date;
  /** Per trigger: virtual time up to which recurrences have been evaluated. */
  recurrenceCursors: Map<string, Date>;
  runs: SimRun[];
}

export type SimRunOrigin = 'recurrence' | 'callback' | 'manual' | 'long-run';

/** One workflow run, as recorded by the simulator. */
export interface SimRun {
  /** ARM id (for Standard workflows a site-scoped id). */
  id: string;
  name: string;
  workflowId: string;
  workflowName: string;
  plan: SimPlan;
  region: string;
  subscriptionId: string;
  resourceGroup: string;
  trigger: string;
  origin: SimRunOrigin;
  /** ISO time the trigger was scheduled for (the recurrence slot); equals startTime for other origins. */
  slotTime: string;
  startTime: string;
  endTime?: string;
  status: 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
  /** Workflow version the run executed. */
  version: string;
}

export type StateChangeCause = 'seed' | 'create' | 'update' | 'enable' | 'disable' | 'delete' | 'appsettings';

/** One workflow state transition with both clocks, for proving two regions never overlapped. */
export interface StateChange {
  /** Strictly increasing across the simulator: orders changes that share a millisecond. */
  seq: number;
  workflowId: string;
  workflowName: string;
  plan: SimPlan;
  region: string;
  from: SimWorkflowState | 'Absent';
  to: SimWorkflowState | 'Deleted';
  cause: StateChangeCause;
  virtualTime: string;
  realTime: string;
}

export interface SimSite {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  appSettings: Record<string, string>;
  /** Standard workflows keyed by lower-cased name. */
  workflows: Map<string, SimWorkflow>;
}

/** An integration account: only what `dr ready` reads (its region). */
export interface SimIntegrationAccount {
  id: string;
  name: string;
  location: string;
  sku: string;
}

export interface SimResourceGroup {
  name: string;
  location: string;
  workflows: Map<string, SimWorkflow>;
  sites: Map<string, SimSite>;
  integrationAccounts: Map<string, SimIntegrationAccount>;
}

export interface SimSubscription {
  id: string;
  resourceGroups: Map<string, SimResourceGroup>;
}

/** App setting that holds a Standard workflow's state. */
export function flowStateSetting(workflowName: string): string {
  return `Workflows.${workflowName}.FlowState`;
}
