/** The port through which the control plane changes Logic Apps. One adapter per kind of Logic App behind it. */

/** A consumption workflow, or a Logic Apps Standard workflow inside a site. */
export type WorkflowLocator =
  | { subscriptionId: string; resourceGroup: string; name: string; label?: string }
  | { subscriptionId: string; resourceGroup: string; site: string; workflow: string; label?: string };

export type WorkflowState = 'Enabled' | 'Disabled' | 'Suspended' | 'Deleted' | 'NotSpecified' | 'Completed';

export interface WorkflowInfo {
  id: string;
  location: string;
  state: WorkflowState;
  /** Consumption only: the definition and its parameters (Standard definitions live in the site's files). */
  definition?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  changedTime?: string;
  version?: string;
  /** Opaque token that changes with every write (changedTime + version): pass it back as `basedOn`. */
  revision: string;
  integrationAccountId?: string;
}

export interface TriggerInfo {
  name: string;
  type?: string;
  state?: string;
  recurrence?: unknown;
}

export interface RunInfo {
  name: string;
  status: string;
  startTime?: string;
  trigger?: string;
}

export interface LogicAppsControl {
  getWorkflow(target: WorkflowLocator): Promise<WorkflowInfo>;
  /**
   * Idempotent: a workflow already in the wanted state is left alone (no write). With `knownState` (read
   * moments ago by the caller) the adapter skips its own read when that state differs from the wanted one:
   * ARM's enable/disable are themselves idempotent, so a stale hint can only cost a redundant write.
   */
  setState(
    target: WorkflowLocator,
    state: 'Enabled' | 'Disabled',
    opts?: { knownState?: string },
  ): Promise<{ changed: boolean }>;
  /**
   * Rewrites one Recurrence trigger's `recurrence` and nothing else (definition, parameters and `$connections`
   * are PUT back unchanged). Refuses with ArmConcurrencyError if the workflow changed since `basedOn`
   * (the `revision` of an earlier read, e.g. the planning read), unless the recurrence is already the wanted
   * one (then nothing is written). ARM has no ETag for workflows: the PUT's own round trip stays a window.
   */
  setRecurrence(
    target: WorkflowLocator,
    recurrence: Record<string, unknown>,
    opts?: { triggerName?: string; basedOn?: string },
  ): Promise<{ changed: boolean }>;
  listTriggers(target: WorkflowLocator): Promise<TriggerInfo[]>;
  /** A Request trigger's callback URL. It embeds a SAS signature: never log it. */
  getCallbackUrl(target: WorkflowLocator, trigger: string): Promise<string>;
  /** Runs still in progress (abandoned if the region is lost: the lost-runs report). */
  listRunningRuns(target: WorkflowLocator): Promise<RunInfo[]>;
}

export const locatorLabel = (t: WorkflowLocator): string =>
  t.label ?? ('site' in t ? `${t.resourceGroup}/${t.site}/${t.workflow}` : `${t.resourceGroup}/${t.name}`);
