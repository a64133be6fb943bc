/**
 * What an operation plan is made of: the workflow targets, what ARM said about them, the planned steps, entries
 * and groups. Types only, so the planner, `verify` and `safety` share them without importing one another.
 */
import type { WorkflowEntry, WorkflowRef } from '../plan/schema';
import type { Recurrence } from './recurrence';

export type RegionName = 'primary' | 'secondary';

/** One plan region as the records and notifications name it: its Azure location and resource group. */
export interface RegionPlace {
  location: string;
  resourceGroup: string;
}

/** The plan's two regions, so a reader of `primary`/`secondary` knows which Azure regions they are. */
export type RegionPlaces = Record<RegionName, RegionPlace>;

/** One workflow in one region, as the planner and the activities address it. */
export interface WorkflowTarget {
  region: RegionName;
  ref: WorkflowRef;
  /** Stable identity (subscription/resource group/name, lower case) for maps and logs. */
  key: string;
  /** Human label: `primary:order-webhook` or `secondary:la-neu/invoice-sync`. */
  label: string;
}

/** What ARM said about a workflow just now; `reachable: false` when its region's ARM did not answer. */
export type WorkflowObservation =
  /** `state: 'Unknown'` with `error` when ARM answered with an error: the region is there, act normally. */
  | {
      reachable: true;
      state: string;
      recurrence?: unknown;
      /** The adapter's revision token of this read, so a rewrite can refuse if the workflow changed since. */
      revision?: string;
      exists?: true;
      error?: string;
    }
  | { reachable: true; exists: false }
  | { reachable: false; error: string };

export type Observe = (target: WorkflowTarget) => WorkflowObservation | undefined;
/** What ARM said about an entry's router at planning (undefined: not read, e.g. read-back's expectations). */
export type ObserveRouter = (router: RouterTarget) => RouterObservation | undefined;

export type PlannedAction =
  | { op: 'disable'; target: WorkflowTarget; why: 'fence' | 'stand-down'; noop: boolean; observed?: string }
  | { op: 'enable'; target: WorkflowTarget; why: 'activate' | 'restore'; noop: boolean; observed?: string }
  | {
      op: 'set-recurrence';
      target: WorkflowTarget;
      triggerName?: string;
      recurrence: Recurrence;
      why: 'take-every-slot' | 'restore-split';
      noop: boolean;
      /** Revision read while planning: the rewrite is refused if the workflow changed since (someone else's write). */
      basedOn?: string;
    }
  /** The primary could not be reached: its fence is recorded and applied when its ARM answers again. */
  | { op: 'pending-fence'; target: WorkflowTarget; why: 'primary-unreachable' }
  /** The workflow does not exist: reported, never silently skipped. */
  | { op: 'missing'; target: WorkflowTarget; why: 'not-found' }
  /**
   * Sends the entry's callers to `target` (the workflow of region `to`) through its router. Runs after that
   * workflow is enabled, and before the other region's copy is disabled at failback: never routed to a
   * disabled workflow.
   */
  | {
      op: 'switch-router';
      target: WorkflowTarget;
      router: RouterTarget;
      to: RegionName;
      why: 'route-to-secondary' | 'route-to-primary';
      noop: boolean;
      /** What the router showed at planning (one line, no secrets). */
      observed?: string;
    }
  /** The router's ARM did not answer at planning: the switch is reported pending, callers stay where they are. */
  | {
      op: 'pending-switch';
      target: WorkflowTarget;
      router: RouterTarget;
      to: RegionName;
      why: 'router-unreachable';
      error: string;
    };

/**
 * A switch an operation could not make because its router's ARM did not answer, after the entry's activation
 * of `target` happened: the monitor makes it when the router answers again (src/activities/actions.ts).
 */
export interface PendingSwitch {
  router: RouterTarget;
  /** The workflow the router is to send calls to (region `to`), enabled by the operation that left it. */
  target: WorkflowTarget;
  to: RegionName;
}

export interface EntryPlan {
  entry: string;
  role: WorkflowEntry['role'];
  /** Split entries switch just after a slot boundary so no slot runs twice or is skipped. */
  slotBoundary?: { every: string; anchor: string };
  /** Executed in order: a fence always precedes the activation it protects. */
  steps: PlannedAction[];
  /**
   * Set (and `steps` empty) when nothing of the entry may run: the DR rules refuse its live trigger for its
   * role, or the entry is held because the region taking it over cannot take it (see `held`).
   */
  blocked?: string;
  /**
   * Held whole at planning under this safety rule: the region taking over cannot activate the entry (its copy
   * is missing, unreadable or cannot be enabled, or the region is unfit), so nothing is fenced or stood down
   * either: the entry keeps running where it runs.
   */
  held?: 'every-entry-runs';
  /**
   * Failback only: how to undo each protective step (by its index in `steps`) when an activation after it
   * fails, so the entry keeps running in the secondary instead of nowhere.
   */
  undo?: { step: number; action: PlannedAction }[];
}

export interface GroupPlan {
  group: number;
  /** Entries of one group run in parallel. */
  entries: EntryPlan[];
}

export type Direction = 'failover' | 'failback';

export interface OperationPlan {
  direction: Direction;
  kind: 'planned' | 'emergency';
  groups: GroupPlan[];
}

/** Current state of a target; `unknown` when its region's ARM does not answer (then nothing can be proven). */
export type StateOf = (target: WorkflowTarget) => { state: string; recurrence?: unknown } | 'unknown';

export type RouterKind = 'apiManagement' | 'frontDoor' | 'trafficManager';

/** An entry's router as the planner and the activities address it. */
export interface RouterTarget {
  kind: RouterKind;
  /**
   * Stable identity of what the switch writes (an APIM backend or API, a Front Door origin group, a Traffic
   * Manager profile), lower case: two entries switching the same one are refused at load.
   */
  key: string;
  /** Human label: `apiManagement apim-orders/backends/orders-la`. */
  label: string;
  /** The name of each region's endpoint (Front Door origin, Traffic Manager endpoint); APIM has none. */
  endpoints?: Record<RegionName, string>;
  /** APIM keeping the sig in named values: the one of each region (the switch writes `to`'s, then refers to it). */
  sigNamedValues?: Record<RegionName, string>;
}

/** Where a router sends calls now, as the planner and read-back compare it. */
export interface RouterSeen {
  /** The region whose workflow receives the calls; undefined when neither (or nothing) does. */
  pointsAt?: RegionName;
  /**
   * The router is exactly as a switch to `pointsAt` leaves it: APIM with the current signature and query,
   * Front Door and Traffic Manager with the other region's endpoint disabled.
   */
  exact: boolean;
  /** One line: what it shows, never a signature. */
  detail: string;
}

/** What ARM said about a router at planning: `reachable: false` when its ARM did not answer. */
export type RouterObservation =
  | { reachable: true; seen: RouterSeen }
  | { reachable: true; exists: false; error: string }
  | { reachable: false; error: string };
