/**
 * The notification contract: every CloudEvent type this control plane emits and the data each one carries, as
 * one union. The monitor's step and the operation's record builder construct them, the outbox and the notifier
 * carry them, docs/notifications.md documents them (a test renders the table from this contract).
 */
import { stableHash } from './hash';
import type { FailureEvidence, MonitorMode, MonitorPolicy, ProbeResult } from './monitor';
import type { Caller, OperationOutcome, OperationRequest } from './monitor-record';
import type { DriftFinding } from './drift';
import type { GroupCheck, OperationRto, ReadBackReport, StepStatus } from './operation-record-types';

/** CloudEvent types this control plane emits. */
export const EVENT_TYPES = {
  healthDegraded: 'com.logicappsfailover.health.degraded',
  healthRecovered: 'com.logicappsfailover.health.recovered',
  failoverWithheld: 'com.logicappsfailover.failover.withheld',
  failoverStarted: 'com.logicappsfailover.failover.started',
  failoverCompleted: 'com.logicappsfailover.failover.completed',
  failoverFailed: 'com.logicappsfailover.failover.failed',
  failbackStarted: 'com.logicappsfailover.failback.started',
  failbackCompleted: 'com.logicappsfailover.failback.completed',
  failbackFailed: 'com.logicappsfailover.failback.failed',
  fenceApplied: 'com.logicappsfailover.fence.applied',
  primaryRecovered: 'com.logicappsfailover.primary.recovered',
  overrideAccepted: 'com.logicappsfailover.override.accepted',
  /** An entry held (nothing of it changed) or an activation blocked: sent the moment it happens. */
  activationBlocked: 'com.logicappsfailover.activation.blocked',
  /** A workflow departs from what the last operation left it (once per distinct drift). */
  estateDrifted: 'com.logicappsfailover.estate.drifted',
  /** A drift raised before is no longer found. */
  driftCleared: 'com.logicappsfailover.estate.drift-cleared',
  paused: 'com.logicappsfailover.monitor.paused',
  resumed: 'com.logicappsfailover.monitor.resumed',
} as const;

/** The monitor as every monitor notification shows it, at the moment of the event. */
export interface MonitorSnapshot {
  mode: MonitorMode;
  activeRegion: 'primary' | 'secondary';
  consecutiveFailures: number;
  policy: MonitorPolicy;
}

/** What every operation notification says about the operation it belongs to. */
export interface OperationFacts {
  operationId: string;
  direction: OperationRequest['direction'];
  kind: OperationRequest['kind'];
  trigger: OperationRequest['trigger'];
  caller: Caller;
  override: string[];
}

interface Recovered {
  since: string;
  recentProbes: ProbeResult[];
  monitor: MonitorSnapshot;
}
interface Started extends OperationFacts {
  evidence?: FailureEvidence;
  policy?: MonitorPolicy;
  /** `op label` per planned step, in plan order. */
  actions: string[];
}
interface Completed extends OperationFacts {
  outcome: OperationOutcome;
  evidence?: FailureEvidence;
  results: {
    entry: string;
    blocked?: string;
    steps: { action: string; status: StepStatus; error?: string }[];
  }[];
  checks: GroupCheck[];
  readBack: ReadBackReport[];
  pendingFences: string[];
  rto: OperationRto;
}
interface Failed extends OperationFacts {
  error: string;
  evidence?: FailureEvidence;
}
/** One drift, against the operation whose result it departs from. */
type Drift = Omit<DriftFinding, 'key'> & { operationId: string; monitor: MonitorSnapshot };

interface Paused {
  caller: Caller;
  until?: string;
  monitor: MonitorSnapshot;
}

/** Event type → the data its CloudEvent carries (besides `planId`, which every event has). */
export interface NotificationData {
  [EVENT_TYPES.healthDegraded]: { evidence: FailureEvidence; monitor: MonitorSnapshot };
  [EVENT_TYPES.failoverWithheld]: {
    reason: 'automatic-failover-off' | 'cooldown' | 'paused';
    until?: string;
    evidence: FailureEvidence;
    monitor: MonitorSnapshot;
  };
  [EVENT_TYPES.healthRecovered]: Recovered;
  [EVENT_TYPES.primaryRecovered]: Recovered;
  [EVENT_TYPES.fenceApplied]: {
    applied: string[];
    stillPending: string[];
    errors: string[];
    monitor: MonitorSnapshot;
  };
  [EVENT_TYPES.estateDrifted]: Drift;
  [EVENT_TYPES.driftCleared]: Drift;
  [EVENT_TYPES.paused]: Paused;
  [EVENT_TYPES.resumed]: Omit<Paused, 'until'>;
  [EVENT_TYPES.failoverStarted]: Started;
  [EVENT_TYPES.failbackStarted]: Started;
  [EVENT_TYPES.failoverCompleted]: Completed;
  [EVENT_TYPES.failbackCompleted]: Completed;
  [EVENT_TYPES.failoverFailed]: Failed;
  [EVENT_TYPES.failbackFailed]: Failed;
  [EVENT_TYPES.overrideAccepted]: OperationFacts & { overrides: string[] };
  [EVENT_TYPES.activationBlocked]: {
    operationId: string;
    direction: OperationRequest['direction'];
    group: number;
    entries: {
      entry: string;
      reason: string;
      /** The rule an entry was held whole by (nothing of it changed). */
      held?: string;
      /** `op label: status` per step. */
      steps: string[];
    }[];
  };
}

export type EventType = keyof NotificationData;

/** One event as the outbox carries it: its type decides the shape of its data. */
export type Notification<K extends EventType = EventType> = {
  [T in K]: {
    type: T;
    planId: string;
    /** Operation id (or monitor cycle id): becomes correlationId. */
    correlationId: string;
    /** Deterministic: operation id + step, so a retried send is dropped by duplicate detection. */
    messageId: string;
    time: string;
    data: NotificationData[T];
  };
}[K];

/** Service Bus refuses message ids over 128 characters. */
export const MAX_MESSAGE_ID_LENGTH = 128;

/**
 * A message id from its parts (operation or plan id, step, request id) that always fits: parts that make it
 * too long are replaced by a hash of the whole, keeping a readable prefix. Deterministic, so a re-sent event
 * keeps its id and duplicate detection drops it.
 */
export function messageIdOf(...parts: string[]): string {
  const id = parts.join(':');
  if (id.length <= MAX_MESSAGE_ID_LENGTH) return id;
  const hash = stableHash(id);
  return `${id.slice(0, MAX_MESSAGE_ID_LENGTH - hash.length - 1)}~${hash}`;
}

/**
 * An event of type K with its data, checked here against the contract, then carried as any Notification. Its
 * message id is built from `idParts` (messageIdOf), its time is `now`.
 */
export function notificationOf<K extends EventType>(
  type: K,
  envelope: { planId: string; correlationId: string; idParts: string[]; now: Date },
  data: NotificationData[K],
): Notification {
  const { planId, correlationId, idParts, now } = envelope;
  const event = {
    type,
    planId,
    correlationId,
    messageId: messageIdOf(...idParts),
    time: now.toISOString(),
    data,
  };
  // The one widening: `{ type: K; data: NotificationData[K] }` is a member of the union for every K.
  return event as unknown as Notification;
}
