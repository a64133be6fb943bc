/**
 * The notification contract: every CloudEvent type this control plane emits and the data each one carries, as
 * one union. The monitor's step and the operation's record builder construct them, the outbox and the notifier
 * carry them, docs/notifications.md documents them (a test renders the table from this contract).
 */
import { stableHash } from './hash';
import type { FailureEvidence, MonitorMode, MonitorPolicy, ProbeResult } from './monitor';
import type { Caller, OperationOutcome, OperationRequest, StoppedOutcome } from './monitor-record';
import type { RegionName, RegionPlace, RegionPlaces, WorkflowTarget } from './operation-plan';

export type { RegionPlace, RegionPlaces } from './operation-plan';
import type {
  GroupCheck,
  MovedExtent,
  NotMoved,
  OperationRto,
  ReadBackReport,
  RunsInFlight,
  StepStatus,
} from './operation-record-types';
import { refName } from './refs';
import type { DriftFinding } from './drift';

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
  /**
   * Entries held (nothing of them changed) or activations blocked: the ones refused before any step in one
   * notice per operation, those blocked while running the moment they are.
   */
  activationBlocked: 'com.logicappsfailover.activation.blocked',
  /** An operator stopped a running operation (cancel, or a break-glass failover superseding it): said at once. */
  operationCancelled: 'com.logicappsfailover.operation.cancelled',
  /** A workflow departs from what the last operation left it (once per distinct drift). */
  estateDrifted: 'com.logicappsfailover.estate.drifted',
  /** A drift raised before is no longer found. */
  driftCleared: 'com.logicappsfailover.estate.drift-cleared',
  paused: 'com.logicappsfailover.monitor.paused',
  resumed: 'com.logicappsfailover.monitor.resumed',
} as const;

/** The regions as the plan names them (the plan's `primary` and `secondary`). */
export function regionPlacesOf(plan: Record<RegionName, RegionPlace>): RegionPlaces {
  const place = (r: RegionPlace): RegionPlace => ({ location: r.location, resourceGroup: r.resourceGroup });
  return { primary: place(plan.primary), secondary: place(plan.secondary) };
}

/**
 * A workflow target named with its Azure region: `order-webhook in westeurope (primary)`; the bare label
 * (`primary:order-webhook`) when the regions are not known.
 */
export function placedLabel(target: WorkflowTarget, regions: RegionPlaces | undefined): string {
  return regions
    ? `${refName(target.ref)} in ${regions[target.region].location} (${target.region})`
    : target.label;
}

/** A region named with its Azure location: `westeurope (primary)`, or `primary` when the regions are not known. */
export const placedRegion = (region: RegionName, regions: RegionPlaces | undefined): string =>
  regions ? `${regions[region].location} (${region})` : region;

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
  /** Entries refused at planning (held, or refused by the DR rules): no step; activation.blocked says why. */
  held?: string[];
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
  /** `all`, `partial` or `none`: how much of the plan moved. */
  moved: MovedExtent;
  /** Each entry that did not (wholly) move, with why. */
  notMoved: NotMoved[];
  rto: OperationRto;
  runsInFlight?: RunsInFlight;
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
  [EVENT_TYPES.operationCancelled]: {
    operationId: string;
    direction: OperationRequest['direction'];
    outcome: StoppedOutcome;
    caller: Caller;
    supersededBy?: string;
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
    /** Every entry held or blocked together: one notice for them, not one per entry. */
    entries: {
      entry: string;
      /** The plan group the entry belongs to. */
      group: number;
      reason: string;
      /** The rule an entry was held whole by (nothing of it changed). */
      held?: string;
      /** `op label: status` per step. */
      steps: string[];
    }[];
  };
}

export type EventType = keyof NotificationData;

/** What every event's data carries besides its own fields (and `planId`). */
export interface NotificationCommon {
  /** One line an operator reads first: what happened, where, and how it ended. */
  summary: string;
  /** The plan's regions; absent only from a monitor event before the monitor's first tick after an upgrade. */
  regions?: RegionPlaces;
}

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
    data: NotificationData[T] & NotificationCommon;
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
  envelope: {
    planId: string;
    correlationId: string;
    idParts: string[];
    now: Date;
    regions: RegionPlaces | undefined;
  },
  data: NotificationData[K],
): Notification {
  const { planId, correlationId, idParts, now, regions } = envelope;
  const event = {
    type,
    planId,
    correlationId,
    messageId: messageIdOf(...idParts),
    time: now.toISOString(),
    data: { summary: summaryOf(type, planId, data, regions), ...(regions ? { regions } : {}), ...data },
  };
  // The one widening: `{ type: K; data: NotificationData[K] }` is a member of the union for every K.
  return event as unknown as Notification;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** `Failover of plan contoso-orders from westeurope to northeurope`. */
function operationTitle(
  planId: string,
  direction: OperationRequest['direction'],
  regions: RegionPlaces | undefined,
): string {
  const [from, to]: [RegionName, RegionName] =
    direction === 'failover' ? ['primary', 'secondary'] : ['secondary', 'primary'];
  const where = regions
    ? `from ${regions[from].location} to ${regions[to].location}`
    : `from the ${from} to the ${to}`;
  return `${direction === 'failover' ? 'Failover' : 'Failback'} of plan ${planId} ${where}`;
}

const OUTCOME_WORDS: Record<OperationOutcome, string> = {
  succeeded: 'completed',
  'completed-with-errors': 'completed with errors',
  failed: 'failed',
  cancelled: 'was cancelled',
  superseded: 'was superseded',
};

/** What an ended operation left for an operator, in a few words each: held entries, errors, fences, runs. */
function completedNotes(data: Completed): string[] {
  const held = data.results.filter((r) => r.blocked !== undefined).length;
  const failedSteps = data.results
    .flatMap((r) => r.steps)
    .filter((s) => s.status === 'failed' || s.status === 'missing').length;
  const mismatches = data.readBack.reduce((n, r) => n + r.mismatches.length + r.violations.length, 0);
  const runs = data.runsInFlight;
  return [
    ...(held ? [`${plural(held, 'entry', 'entries')} held`] : []),
    ...(failedSteps ? [`${plural(failedSteps, 'step')} failed`] : []),
    ...(mismatches ? [`${plural(mismatches, 'read-back problem')}`] : []),
    ...(data.pendingFences.length ? [`${plural(data.pendingFences.length, 'fence')} pending`] : []),
    ...(runs?.error
      ? [runs.error]
      : runs && runs.runs.length + runs.more > 0
        ? [`${plural(runs.runs.length + runs.more, 'run')} in flight in ${runs.location ?? runs.region}`]
        : []),
  ];
}

/**
 * The one-line summary every notification carries: what happened to which plan, in which Azure regions, and
 * how it ended. Pure over the event's data, so the audit, the broker and the tests read the same sentence.
 */
export function summaryOf<K extends EventType>(
  type: K,
  planId: string,
  data: NotificationData[K],
  regions: RegionPlaces | undefined,
): string {
  const primary = `the primary (${regions?.primary.location ?? 'location unknown'})`;
  const any: NotificationData[EventType] = data;
  switch (type) {
    case EVENT_TYPES.healthDegraded: {
      const d = any as NotificationData[typeof EVENT_TYPES.healthDegraded];
      const last = d.evidence.recentProbes.at(-1);
      const why = last?.failure ?? (last?.status !== undefined ? `status ${last.status}` : 'failed');
      return `Plan ${planId}: ${primary} failed its health check (${why}); ${plural(d.evidence.consecutiveFailures, 'failure')} in a row`;
    }
    case EVENT_TYPES.failoverWithheld: {
      const d = any as NotificationData[typeof EVENT_TYPES.failoverWithheld];
      const failed = `${primary} failed ${plural(d.evidence.consecutiveFailures, 'probe')} in a row`;
      return `Plan ${planId}: failover withheld although ${failed}: ${withheldNext(d)}`;
    }
    case EVENT_TYPES.healthRecovered:
    case EVENT_TYPES.primaryRecovered: {
      const d = any as Recovered;
      const failedOver =
        type === EVENT_TYPES.primaryRecovered
          ? `; traffic is still in ${placedRegion('secondary', regions)} until a failback`
          : '';
      return `Plan ${planId}: ${primary} is healthy again since ${d.since}${failedOver}`;
    }
    case EVENT_TYPES.fenceApplied: {
      const d = any as NotificationData[typeof EVENT_TYPES.fenceApplied];
      return `Plan ${planId}: ${plural(d.applied.length, 'pending fence')} applied in ${placedRegion('primary', regions)}; ${d.stillPending.length} still pending`;
    }
    case EVENT_TYPES.paused: {
      const d = any as Paused;
      return `Plan ${planId}: automatic operations paused${d.until ? ` until ${d.until}` : ''} by ${d.caller.by}: ${d.caller.reason}; active region ${placedRegion(d.monitor.activeRegion, regions)}`;
    }
    case EVENT_TYPES.resumed: {
      const d = any as Omit<Paused, 'until'>;
      return `Plan ${planId}: automatic operations resumed by ${d.caller.by}${d.caller.reason ? `: ${d.caller.reason}` : ''}; active region ${placedRegion(d.monitor.activeRegion, regions)}`;
    }
    case EVENT_TYPES.failoverStarted:
    case EVENT_TYPES.failbackStarted: {
      const d = any as Started;
      const held = d.held?.length
        ? `; ${plural(d.held.length, 'entry', 'entries')} held at planning (${d.held.join(', ')})`
        : '';
      return `${operationTitle(planId, d.direction, regions)} started (${d.kind}, ${d.trigger}, by ${d.caller.by}): ${plural(d.actions.length, 'step')} planned${held}`;
    }
    case EVENT_TYPES.failoverCompleted:
    case EVENT_TYPES.failbackCompleted: {
      const d = any as Completed;
      const took = d.rto.measuredMs !== undefined ? ` in ${seconds(d.rto.measuredMs)}` : '';
      const notes = completedNotes(d);
      return `${operationTitle(planId, d.direction, regions)} ${OUTCOME_WORDS[d.outcome]}${took}${notes.length ? `; ${notes.join(', ')}` : ''}`;
    }
    case EVENT_TYPES.failoverFailed:
    case EVENT_TYPES.failbackFailed: {
      const d = any as Failed;
      return `${operationTitle(planId, d.direction, regions)} failed: ${d.error}`;
    }
    case EVENT_TYPES.overrideAccepted: {
      const d = any as NotificationData[typeof EVENT_TYPES.overrideAccepted];
      return `${operationTitle(planId, d.direction, regions)}: ${plural(d.overrides.length, 'break-glass override')} used by ${d.caller.by}`;
    }
    case EVENT_TYPES.activationBlocked: {
      const d = any as NotificationData[typeof EVENT_TYPES.activationBlocked];
      const names = d.entries.map((e) => e.entry).join(', ');
      const groups = [...new Set(d.entries.map((e) => e.group))];
      return `${operationTitle(planId, d.direction, regions)}: ${plural(d.entries.length, 'entry', 'entries')} of ${groups.length === 1 ? 'group' : 'groups'} ${groups.join(', ')} held or blocked (${names})`;
    }
    case EVENT_TYPES.operationCancelled: {
      const d = any as NotificationData[typeof EVENT_TYPES.operationCancelled];
      const how =
        d.outcome === 'superseded'
          ? `superseded by ${d.supersededBy ?? 'a break-glass failover'}`
          : 'cancelled';
      return `${operationTitle(planId, d.direction, regions)} (${d.operationId}) ${how} by ${d.caller.by}: ${d.caller.reason}; it stops at its next step boundary, its completed notice says what it left`;
    }
    case EVENT_TYPES.estateDrifted:
    case EVENT_TYPES.driftCleared: {
      const d = any as Drift;
      const where = `${d.workflow.slice(d.workflow.indexOf(':') + 1)} in ${placedRegion(d.region, regions)}`;
      return type === EVENT_TYPES.estateDrifted
        ? `Plan ${planId}: ${where} drifted from what ${d.operationId} left: ${d.message} [${d.rule}]`
        : `Plan ${planId}: drift cleared: ${where} is again as ${d.operationId} left it (was: ${d.message} [${d.rule}])`;
    }
  }
  return `Plan ${planId}: ${type}`;
}

/** `19:24:05 UTC`: the time of day an on-call person compares with the clock (the full time is in `until`). */
const utcClock = (iso: string): string => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(11, 19)} UTC`;
};

/**
 * What happens next to a withheld failover, and when: by itself at the end of a cooldown or a pause (the
 * monitor decides, see decide() in monitor.ts), or by a person's decision when automatic failover is off.
 */
function withheldNext(d: NotificationData[typeof EVENT_TYPES.failoverWithheld]): string {
  const policy = d.monitor.policy;
  if (d.reason === 'automatic-failover-off')
    return 'automatic failover is off, so a person decides: fail over by hand, or wait for the primary';
  if (d.reason === 'paused')
    return d.until
      ? `automatic operations are paused; it fails over by itself at the first failed probe after the pause ends at ${utcClock(d.until)}, unless the pause is extended (resume or fail over by hand to act sooner)`
      : 'automatic operations are paused; it fails over by itself at the first failed probe once the pause ends';
  // The cooldown only doubles detection: the failover comes at twice the threshold, or when it ends.
  const doubled = 2 * (policy.window?.failures ?? policy.failureThreshold ?? 0);
  const ends = d.until ? ` or at the first failed probe after the cooldown ends at ${utcClock(d.until)}` : '';
  return `in the cooldown after the last failover; it fails over by itself at ${doubled} failed probes in a row${ends}, whichever comes first, unless paused`;
}
