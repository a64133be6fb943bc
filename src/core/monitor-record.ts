/**
 * The monitor's persisted record and the signals it takes: pure data, carried through continueAsNew as the
 * next execution's input and published (fitted) as its custom status. `step` (monitor-step.ts) is the only
 * code that changes a record; the durable contracts re-export these types under their historical names.
 */
import type { DriftFinding } from './drift';
import type { FailureEvidence, MonitorPolicy, MonitorState, ProbeResult } from './monitor';
import type { Direction, PendingSwitch, WorkflowTarget } from './planner';

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

export type OperationOutcome = 'succeeded' | 'completed-with-errors' | 'failed';

/** What the monitor hands an operation instance when it starts one. */
export interface OperationInput {
  planId: string;
  operationId: string;
  request: OperationRequest;
  evidence?: FailureEvidence;
  policy?: MonitorPolicy;
  probeIntervalMs?: number;
  requestedAt: string;
}

export type Signal =
  | {
      kind: 'tick';
      id: string;
      at: string;
      policy: MonitorPolicy;
      probeIntervalMs: number;
      /** Probe cycles between drift checks (DR_DRIFT_CHECK_CYCLES; 0: off); absent: the default. */
      driftCheckCycles?: number;
    }
  | { kind: 'pause'; id: string; until: string; caller: Caller; fingerprint?: string }
  | { kind: 'resume'; id: string; caller: Caller; fingerprint?: string }
  | { kind: 'request-operation'; id: string; request: OperationRequest; fingerprint?: string }
  | {
      kind: 'operation-finished';
      id: string;
      operationId: string;
      direction: Direction;
      outcome: OperationOutcome;
      pendingFences: WorkflowTarget[];
      pendingSwitches?: PendingSwitch[];
    };

/**
 * An operation instance as the monitor's reconciliation sees it: still running (or unknown), or over, with the
 * same outcome and pending fences its `operation-finished` signal carries.
 */
export type OperationProgress =
  | { finished: false; runtimeStatus?: string }
  | {
      finished: true;
      runtimeStatus: string;
      outcome: OperationOutcome;
      pendingFences: WorkflowTarget[];
      pendingSwitches?: PendingSwitch[];
    };

/** What the monitor answered to a request signal, kept so the HTTP API can read it (and replay it for retries). */
export type RequestAnswer = (
  | { id: string; status: 'accepted'; operationId: string }
  | { id: string; status: 'conflict'; operationId: string; reason: string }
  | { id: string; status: 'refused'; reason: string }
  | { id: string; status: 'applied' }
) & {
  /** The request's fingerprint (route and body), so a key reused for another request is refused, not replayed. */
  fingerprint?: string;
  /** When the monitor answered: answers are kept by age (monitor-step's ANSWER_TTL_MS). */
  at?: string;
};

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

/** A fence the monitor still has to apply, and since when it has been pending (absent in older records). */
export type PendingFence = WorkflowTarget & { since?: string };

export interface MonitorRecord {
  planId: string;
  state: MonitorState;
  /** The plan's policy: the watchdog hands it over when it starts the monitor, and again with every tick. */
  policy: MonitorPolicy;
  probeIntervalMs?: number;
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
   * Answers to requests of the last 24 h, newest last (idempotency across retries and continueAsNew): kept by
   * age, with a bound on those that started nothing (monitor-step's keptAnswers).
   */
  answers: RequestAnswer[];
  operationSeq: number;
  executions: number;
}
