/** The port through which the control plane changes Logic Apps. One adapter per kind of Logic App behind it. */
import type { LinkedResources } from '../../core/linked-resources';

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
  /** Consumption only, when any: what a PUT of this workflow also needs join/assign on (see core/linked-resources). */
  linked?: LinkedResources;
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

/** A resource group of consumption workflows (what Workflows_ListByResourceGroup lists). */
export interface ResourceGroupScope {
  subscriptionId: string;
  resourceGroup: string;
  label?: string;
}

/** A Logic Apps Standard site (one app-settings document holds the state of all its workflows). */
export interface SiteScope {
  subscriptionId: string;
  resourceGroup: string;
  site: string;
  label?: string;
}

/** One workflow of a listing page: its name as ARM spells it, and what a GET of it would say. */
export interface ListedWorkflow {
  name: string;
  info: WorkflowInfo;
}

export interface LogicAppsControl {
  getWorkflow(target: WorkflowLocator): Promise<WorkflowInfo>;
  /**
   * The consumption workflows of a resource group, one page (`$top` items, one ARM read) at a time, following
   * nextLink. Each item carries what a GET shows (state, definition, changedTime, version). Stop iterating to
   * stop reading. Errors are classified like every other call (ArmTransientError / ArmTerminalError).
   */
  listWorkflows(scope: ResourceGroupScope, opts?: { top?: number }): AsyncIterable<ListedWorkflow[]>;
  /**
   * Several Standard workflows of one site with one site read and one app-settings read (instead of two reads
   * per workflow). Workflows named twice are read once.
   */
  getSiteWorkflows(site: SiteScope, workflows: readonly string[]): Promise<Map<string, WorkflowInfo>>;
  /**
   * Sets the state of several Standard workflows of one site with ONE app-settings write (read-modify-write of
   * the whole document, serialised per site in this process). Idempotent: workflows already in their wanted
   * state are left out, and nothing is written when none changes, so a retried call neither loses nor repeats.
   */
  setSiteStates(
    site: SiteScope,
    states: Readonly<Record<string, 'Enabled' | 'Disabled'>>,
  ): Promise<{ changed: string[] }>;
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
