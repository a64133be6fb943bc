/**
 * The monitor's persisted record and the signals it takes: pure data, carried through continueAsNew as the
 * next execution's input and published (fitted) as its custom status. `step` (monitor-step.ts) is the only
 * code that changes a record; the durable contracts re-export these types under their historical names.
 */
import type { DriftFinding } from './drift';
import type {
  FailureEvidence,
  MonitorPolicy,
  MonitorState,
  OperationOutcome,
  ProbeResult,
  StoppedOutcome,
} from './monitor';

export type { OperationOutcome, StoppedOutcome } from './monitor';
import type { Direction, PendingSwitch, RegionName, WorkflowTarget } from './planner';
import type { RegionPlaces } from './operation-plan';

export interface Caller {
  /** Who asked: a principal name from App Service Authentication, or `function-key`, or `automatic`. */
  by: string;
  reason: string;
}

export interface OperationRequest {
  direction: Direction;
  kind: 'planned' | 'emergency';
  trigger: 'automatic' | 'manual';
  caller: Caller;
  /** Break-glass: safety rules the operator explicitly allows to be broken (recorded and notified). */
  override: string[];
  /** Failback only: skip the soak-time gate. */
  force?: boolean;
}

/**
 * Why an operation is stopped, as the operation gets it (the event that stops it at its next step boundary):
 * who stopped it, why, and what replaces it.
 */
export interface OperationStop {
  outcome: StoppedOutcome;
  caller: Caller;
  at: string;
  /** The operation that replaces it (superseded only). */
  supersededBy?: string;
}

/**
 * Fences an operation found failing in this outage: the operation that replaces it does not try them again
 * (they go straight to pending, and what they protect follows the override's rules).
 */
export interface KnownFailing {
  regions: RegionName[];
  /** The operation that found them failing. */
  foundBy: string;
}

/** What the monitor hands an operation instance when it starts one. */
export interface OperationInput {
  planId: string;
  operationId: string;
  request: OperationRequest;
  evidence?: FailureEvidence;
  policy?: MonitorPolicy;
  probeIntervalMs?: number;
  requestedAt: string;
  /** A replacement (superseding) operation: the regions whose fences the one it replaced found failing. */
  knownFailing?: KnownFailing;
  /** The plan's regions (Azure locations), so the record and the notices name them. */
  regions?: RegionPlaces;
}

export type Signal =
  | {
      kind: 'tick';
      id: string;
      at: string;
      policy: MonitorPolicy;
      probeIntervalMs: number;
      /** The plan's regions, handed over with the policy. */
      regions?: RegionPlaces;
      /** Probe cycles between drift checks (DR_DRIFT_CHECK_CYCLES; 0: off); absent: the default. */
      driftCheckCycles?: number;
    }
  | { kind: 'pause'; id: string; until: string; caller: Caller; fingerprint?: string }
  | { kind: 'resume'; id: string; caller: Caller; fingerprint?: string }
  | { kind: 'request-operation'; id: string; request: OperationRequest; fingerprint?: string }
  /** An operator stops the running operation at its next step boundary. */
  | { kind: 'cancel-operation'; id: string; operationId: string; caller: Caller; fingerprint?: string }
  | {
      kind: 'operation-finished';
      id: string;
      operationId: string;
      direction: Direction;
      outcome: OperationOutcome;
      pendingFences: WorkflowTarget[];
      pendingSwitches?: PendingSwitch[];
      /** Regions whose fences ran out of retries (or were cut short by a stop) in this operation. */
      failingRegions?: RegionName[];
    };

/**
 * An operation instance as the monitor's reconciliation sees it: still running (or unknown), or over, with the
 * same outcome and pending fences its `operation-finished` signal carries.
 */
export type OperationProgress =
  | {
      finished: false;
      runtimeStatus?: string;
      /**
       * Fences left pending by entries the running operation is done with (their sub-orchestrations over): the
       * monitor applies them at once, not when the whole operation ends.
       */
      pendingFences?: WorkflowTarget[];
    }
  | {
      finished: true;
      runtimeStatus: string;
      outcome: OperationOutcome;
      pendingFences: WorkflowTarget[];
      pendingSwitches?: PendingSwitch[];
      failingRegions?: RegionName[];
    };

/** What the monitor answered to a request signal, kept so the HTTP API can read it (and replay it for retries). */
export type RequestAnswer =
  /** `supersedes`: the running operation this break-glass failover replaces (it starts once that one stopped). */
  (
    | { id: string; status: 'accepted'; operationId: string; supersedes?: string }
    | { id: string; status: 'conflict'; operationId: string; reason: string }
    | { id: string; status: 'refused'; reason: string }
    | { id: string; status: 'applied' }
  ) & {
    /** The request's fingerprint (route and body), so a key reused for another request is refused, not replayed. */
    fingerprint?: string;
    /** When the monitor answered: answers are kept by age (monitor-step's ANSWER_TTL_MS). */
    at?: string;
  };

/**
 * An operator's request as the audit keeps it: pauses, resumes and failover/failback requests, with who asked,
 * why, when, and what the monitor answered (refusals included). One per request id, kept like the operations.
 */
export interface RequestRecord {
  /** The request's id (from its Idempotency-Key): a retried request is the same record. */
  requestId: string;
  planId: string;
  request: 'pause' | 'resume' | 'failover' | 'failback' | 'cancel';
  /** When the monitor answered it. */
  at: string;
  /** The monitor execution that answered it: orders requests answered at the same instant. */
  seq: number;
  by: string;
  reason: string;
  answer: RequestAnswer['status'];
  /** Why it was refused, or what it conflicted with. */
  answerReason?: string;
  /** The operation it started (accepted) or ran into (conflict). */
  operationId?: string;
  /** A pause: the end asked for. */
  until?: string;
  /** A resume: the pause it ended (absent when nothing was paused). */
  endedPause?: { until: string; by: string; reason: string };
  /** A failover or failback: its kind, the overrides asked for, force. */
  kind?: 'planned' | 'emergency';
  override?: string[];
  force?: boolean;
}

export interface OperationSummary {
  operationId: string;
  direction: Direction;
  trigger: 'automatic' | 'manual';
  startedAt: string;
  finishedAt?: string;
  outcome?: OperationOutcome;
}

/** A probe as the probe activity reports it: the health check's result, and each dependency's. */
export interface ProbeActivityResult extends ProbeResult {
  dependencies?: { name: string; result: ProbeResult }[];
}

/** What applying pending fences did: fenced now, still pending (region silent or refusing), and why. */
export interface FencesApplied {
  applied: WorkflowTarget[];
  pending: WorkflowTarget[];
  errors: string[];
}

/** What making pending switches did: switched now, still pending (router silent, workflow not enabled), and why. */
export interface SwitchesApplied {
  applied: PendingSwitch[];
  pending: PendingSwitch[];
  errors: string[];
}

/**
 * An operation the monitor decided to start whose start has not been confirmed: the start activity failed
 * after its retries. The same input (same operation id: the start is idempotent) is tried again next cycle.
 */
export interface UnstartedOperation {
  input: OperationInput;
  /** Start attempts that failed (each one the activity's whole retry budget). */
  failedAttempts: number;
  /** The last failure, one line, and when. */
  error: string;
  at: string;
}

/** An operator's stop of the active operation, kept until the operation has ended. */
export interface StopRequest extends OperationStop {
  operationId: string;
  /** Superseded: the operation that starts once this one has ended (its id already given to the operator). */
  replacement?: OperationInput;
}
/** A fence the monitor still has to apply, and since when it has been pending (absent in older records). */
export type PendingFence = WorkflowTarget & { since?: string };

export interface MonitorRecord {
  planId: string;
  state: MonitorState;
  /** The plan's policy: the watchdog hands it over when it starts the monitor, and again with every tick. */
  policy: MonitorPolicy;
  probeIntervalMs?: number;
  /** The plan's regions (Azure locations): from the watchdog at the start, and again with every tick. */
  regions?: RegionPlaces;
  /** Last probe cycle (index of probeInterval since the epoch): one probe per cycle, however many ticks come. */
  lastProbeCycle?: number;
  lastTickAt?: string;
  /** The id of the last tick handled: the watchdog confirms its tick by id, not by comparing its clock with ours. */
  lastTickId?: string;
  /** The last probe cycle's conclusion, in words (from the decision core). */
  lastCycle?: { at: string; reason: string };
  /** The one answer to "does an operation run": set by the decision that starts it, cleared when it ends. */
  activeOperation?: OperationSummary;
  /** The active operation's start failed: retried each probe cycle until the instance exists. */
  unstarted?: UnstartedOperation;
  /**
   * The active operation is being stopped (cancelled, or superseded by `replacement`): told so until it ends;
   * the replacement starts when it has (one operation at a time).
   */
  stopping?: StopRequest;
  lastOperation?: OperationSummary;
  pendingFences: PendingFence[];
  /** Probe cycles between drift checks, as the last tick said (absent: the default). */
  driftCheckCycles?: number;
  /** The probe cycle of the last drift check asked for. */
  lastDriftCheckCycle?: number;
  /** Drifts raised and not cleared since the last operation ended (each raised once). */
  drift?: DriftFinding[];
  /**
   * Router switches an operation left pending (the router's ARM was silent): made each probe cycle while no
   * operation runs, once the router answers. Absent in records written before them.
   */
  pendingSwitches?: PendingSwitch[];
  /**
   * Fences the active operation left pending on entries it is done with, applied each probe cycle while it
   * still runs (`pending`), and those applied already (`applied`, target keys: not handed over again at its end).
   * Only these are applied during an operation: the fences of earlier ones wait for it to end.
   */
  operationFences?: { operationId: string; pending: WorkflowTarget[]; applied: string[] };
  /**
   * Answers to requests of the last 24 h, newest last (idempotency across retries and continueAsNew): kept by
   * age, with a bound on those that started nothing (monitor-step's keptAnswers).
   */
  answers: RequestAnswer[];
  operationSeq: number;
  executions: number;
}
