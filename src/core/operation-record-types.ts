/**
 * The parts of an operation's audit record that its notices carry too (steps, checks, read-backs, RTO): a leaf
 * module, so the notification contract and the record builder both import it and not each other.
 */
import type { PlannedAction } from './planner';

export type StepStatus =
  | 'done'
  | 'noop'
  | 'pending-fence'
  /** A router switch its ARM did not answer for: callers are still sent where they were. */
  | 'pending-switch'
  | 'missing'
  | 'failed'
  | 'blocked';

export interface StepResult {
  action: PlannedAction;
  status: StepStatus;
  at: string;
  error?: string;
}

export interface EntryResult {
  entry: string;
  group: number;
  steps: StepResult[];
  blocked?: string;
  overrideUsed?: string;
}

export interface ReadBackReport {
  group: number;
  at: string;
  /** Targets whose state read back differs from what their last step wanted. */
  mismatches: string[];
  /** Safety rule violations over the whole estate after this group. */
  violations: { entry: string; rule: string; message: string }[];
  unreadable: string[];
}

/** The safety check just before a group runs (see src/core/preflight.ts). */
export interface GroupCheck {
  group: number;
  at: string;
  /**
   * `live`: deferred fences' targets read from ARM just now; `plan`: nothing worth reading (the first group,
   * no deferred fence, or their region was silent within the last probe interval): the planning reads stand.
   */
  source: 'live' | 'plan';
  /** Targets read for this check. */
  read: string[];
  /** Deferred targets whose state is still unknown (their region does not answer). */
  unreadable: string[];
  /** `no-dual-active` violations the entries' own steps would leave: those entries are blocked unless overridden. */
  violations: { entry: string; rule: string; message: string }[];
}

/** The RTO an operation measured and predicted. */
export interface OperationRto {
  /** The first failed probe of the evidence, or (no failed probe: a planned operation, a failback) the request. */
  from?: string;
  basis?: 'first-failed-probe' | 'request';
  /** The last group's read-back. */
  to?: string;
  measuredMs?: number;
  /** Detection (automatic failovers only) plus the actuation predicted from the plan. */
  predictedMs?: number;
  predictedDetectionMs?: number;
  predictedActuationMs?: number;
}

/**
 * Why an entry did not (wholly) move: `held` whole at planning or after a failback's compensation (nothing of
 * it changed), `blocked` (its activation was not run: its fence failed, or the check before its group found it
 * unsafe), `failed` (its activation failed), `missing` (the copy that should take it does not exist),
 * `pending-switch` (its router was not switched: callers are still sent where they were), `pending-fence` (it
 * moved, but the copy it left is not fenced yet and may still run).
 */
export type NotMovedWhy = 'held' | 'blocked' | 'failed' | 'missing' | 'pending-switch' | 'pending-fence';

export interface NotMoved {
  entry: string;
  why: NotMovedWhy;
  reason: string;
  /** `pending-fence`: the copies not fenced yet (labels). */
  fences?: string[];
}

/** How much of the plan an operation moved: every entry, some, or none (an operation that changed nothing). */
export type MovedExtent = 'all' | 'partial' | 'none';

/** One run the region being left had in flight when the operation ran: what an operator may resubmit. */
export interface RunInFlight {
  /** The plan entry, and the workflow as named in its region. */
  entry: string;
  workflow: string;
  runId: string;
  startTime?: string;
  trigger?: string;
}

/**
 * The runs in flight in the region an operation leaves (the primary at a failover, the secondary at a
 * failback), read alongside the first group, bounded in time, never on the critical path.
 */
export interface RunsInFlight {
  region: 'primary' | 'secondary';
  /** The region's Azure location, e.g. westeurope. */
  location?: string;
  /** When the list was read. */
  at: string;
  /** At most RUNS_IN_FLIGHT_CAP runs, oldest first. */
  runs: RunInFlight[];
  /** Runs beyond the cap, counted but not listed. */
  more: number;
  /** Workflows whose runs could not be listed (Standard sites, errors), one line each. */
  unlisted: string[];
  /** `could not list runs: <why>` when nothing could be read (the region's ARM did not answer, timeout). */
  error?: string;
}
