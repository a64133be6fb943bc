/**
 * The notification contract as the tests and the docs use it: a typed reader for the CloudEvents the broker
 * received, and the description of every event type and of every field of its data. The description is typed
 * against the contract (src/core/notifications.ts): an event type or a field it does not describe, or one that
 * no longer exists, is a compile error; test/core/notifications.test.ts renders docs/notifications.md's table
 * from it.
 */
import type { NotificationEvent } from '../../src/activities/cloudevents';
import {
  EVENT_TYPES,
  type EventType,
  type NotificationCommon,
  type NotificationData,
} from '../../src/core/notifications';

/** The CloudEvent in a broker message, checked to be of `type`, with that type's data. */
export function eventOf<K extends EventType>(
  message: { body: unknown },
  type: K,
): Extract<NotificationEvent, { type: K }> {
  const body = message.body;
  const event = (
    typeof body === 'string'
      ? JSON.parse(body)
      : Buffer.isBuffer(body)
        ? JSON.parse(body.toString('utf8'))
        : body
  ) as NotificationEvent;
  if (event.type !== type) throw new Error(`expected a ${type} event, got ${String(event.type)}`);
  return event as Extract<NotificationEvent, { type: K }>;
}

type Described = {
  [K in EventType]: { when: string; fields: { [F in keyof NotificationData[K]]-?: string } };
};

const monitor = 'the monitor now: mode, active region, consecutive failures, policy';
const facts = {
  operationId: 'the operation (also the correlationId)',
  direction: '`failover` or `failback`',
  kind: '`planned` or `emergency`',
  trigger: '`automatic` or `manual`',
  caller: 'who asked and why (`by`, `reason`)',
  override: 'the break-glass rules the operator allowed',
} as const;
const started = {
  when: 'an operation has planned and starts its first group',
  fields: {
    ...facts,
    evidence: 'the probes that led to it (automatic failover; a manual failover: the current streak)',
    policy: 'the policy it ran under',
    actions: '`op target` of every planned step, in order',
    held: 'the entries refused at planning (held, or refused by the DR rules): no step of theirs runs; `activation.blocked` says why',
  },
};
const completed = {
  when: 'an operation ends',
  fields: {
    ...facts,
    outcome:
      '`succeeded`, `completed-with-errors`, `failed` (a failback in which every entry was held or blocked), `cancelled` or `superseded` (an operator stopped it; what it did is in `results`)',
    evidence: 'as in started',
    results: 'per entry: blocked (why), each step with its status and error',
    checks: 'the safety check before each group',
    readBack: 'each group read back: mismatches, violations, unreadable',
    pendingFences: 'fences left for the monitor to apply when the region returns',
    moved:
      '`all`, `partial` (some entries did not move) or `none` (nothing moved): a partial operation says so',
    notMoved:
      'per entry that did not (wholly) move: `entry`, `why` (`held`, `blocked`, `failed`, `missing`, `pending-switch`, `pending-fence`) and `reason`',
    rto: 'measured (from, to, basis) and predicted (detection + actuation)',
    runsInFlight:
      'the runs the region being left had in flight (the primary at a failover), to resubmit: `region`, `location`, `at`, `runs` (entry, workflow, runId, startTime, trigger; at most 50, oldest first), `more` (runs beyond those), `unlisted` (workflows whose runs could not be listed), `error` (`could not list runs: <why>`)',
  },
};
const failed = {
  when: 'an operation could not even plan (the estate could not be read)',
  fields: { ...facts, error: 'why', evidence: 'as in started' },
};
const recovered = (when: string) => ({
  when,
  fields: { since: 'first probe of the healthy streak', recentProbes: 'the last 5 probes', monitor },
});

const drift = (when: string) => ({
  when,
  fields: {
    operationId: 'the last operation, whose result the workflow departs from',
    entry: 'the plan entry',
    workflow: 'the workflow (`region:name`)',
    region: '`primary` or `secondary`',
    rule: '`every-entry-runs` (runs nowhere), `no-dual-active` (runs in both regions), `expected-state` or `expected-schedule` (only not as left)',
    message: 'one line, e.g. `secondary order-webhook is Disabled: runs nowhere`',
    monitor,
  },
});

export const NOTIFICATION_DOCS = {
  [EVENT_TYPES.healthDegraded]: {
    when: 'first failed probe of a streak',
    fields: { evidence: 'first failure, counts, recent probes (time, status, latency, class)', monitor },
  },
  [EVENT_TYPES.failoverWithheld]: {
    when: 'threshold reached, but automatic failover is off, paused or in cooldown',
    fields: {
      reason: '`automatic-failover-off`, `paused` or `cooldown`',
      until: 'end of the pause or cooldown',
      evidence: 'as in health.degraded',
      monitor,
    },
  },
  [EVENT_TYPES.healthRecovered]: recovered(
    'healthy again after `recoveryThreshold` probes, before any failover',
  ),
  [EVENT_TYPES.primaryRecovered]: recovered(
    'failed over, and the primary is healthy for `recoveryThreshold` probes',
  ),
  [EVENT_TYPES.fenceApplied]: {
    when: 'pending fences applied after the primary region answered again',
    fields: {
      applied: 'labels fenced now',
      stillPending: 'labels still pending',
      errors: 'why the others failed',
      monitor,
    },
  },
  [EVENT_TYPES.operationCancelled]: {
    when: 'an operator stopped a running operation (cancel, or a break-glass failover superseding it): said when asked; the operation stops at its next step boundary and its completed notice says how it ended',
    fields: {
      operationId: 'the operation being stopped (also the correlationId)',
      direction: facts.direction,
      outcome: '`cancelled`, or `superseded` (a failover with an override replaces it)',
      caller: 'who stopped it and why (`by`, `reason`)',
      supersededBy: 'the operation that replaces it (superseded only)',
      monitor,
    },
  },
  [EVENT_TYPES.estateDrifted]: drift(
    'a drift check (every `DR_DRIFT_CHECK_CYCLES` probe cycles, default 5, while failed over or after a failback) finds a workflow of the last operation no longer as it left it; once per distinct drift',
  ),
  [EVENT_TYPES.driftCleared]: drift('a drift raised before is no longer found'),
  [EVENT_TYPES.paused]: {
    when: 'an operator paused automatic operations',
    fields: { caller: 'who and why', until: 'end of the pause', monitor },
  },
  [EVENT_TYPES.resumed]: {
    when: 'an operator resumed, or a pause ran out by itself (`caller.by: "expiry"`, at the first probe after `until`)',
    fields: { caller: 'who and why', monitor },
  },
  [EVENT_TYPES.failoverStarted]: started,
  [EVENT_TYPES.failbackStarted]: started,
  [EVENT_TYPES.failoverCompleted]: completed,
  [EVENT_TYPES.failbackCompleted]: completed,
  [EVENT_TYPES.failoverFailed]: failed,
  [EVENT_TYPES.failbackFailed]: failed,
  [EVENT_TYPES.overrideAccepted]: {
    when: 'a break-glass override was used',
    fields: { ...facts, overrides: '`entry: rule: what ran although`, per use' },
  },
  [EVENT_TYPES.activationBlocked]: {
    when: "entries were held (nothing of them changed) or their activation blocked: the entries refused before any step in one notice (every entry held when planned, with the first group; those a later group's check found unsafe, with that group), one page rather than one per entry; the entries blocked while they run (a fence that failed, a compensation), the moment it happens",
    fields: {
      operationId: facts.operationId,
      direction: facts.direction,
      entries:
        'per entry: `entry`, `group` (its plan group), `reason` (why), `held` (the rule it was held whole by), `steps` (`op target: status`)',
    },
  },
} satisfies Described;

/** The fields every event's data carries besides its own (and `planId`). */
export const COMMON_FIELDS_DOCS = {
  summary:
    'one line an operator reads first: what happened to which plan, in which Azure regions, how it ended (e.g. "Failover of plan contoso-orders from westeurope to northeurope completed in 41 s; 2 entries held")',
  regions:
    "the plan's regions, `{ primary: { location, resourceGroup }, secondary: { … } }`: the Azure regions `primary` and `secondary` stand for (absent only from a monitor event before the monitor's first tick after an upgrade)",
} satisfies { [F in keyof NotificationCommon]-?: string };

/** The sentence docs/notifications.md carries about the fields every event has. */
export function commonFieldsLine(): string {
  return `Every event's data also carries ${Object.entries(COMMON_FIELDS_DOCS)
    .map(([f, what]) => `\`${f}\`: ${what}`)
    .join('; ')}.`;
}

const PREFIX = 'com.logicappsfailover.';

/** The table docs/notifications.md carries, as cells: one row per event type, every field of its data. */
export function notificationTable(): string[][] {
  return [
    [`type (\`${PREFIX}…\`)`, 'when', 'data (besides `planId`)'],
    ...(Object.entries(NOTIFICATION_DOCS) as [EventType, Described[EventType]][]).map(([type, d]) => [
      `\`${type.slice(PREFIX.length)}\``,
      d.when,
      Object.entries(d.fields as Record<string, string>)
        .map(([f, what]) => `\`${f}\`: ${what}`)
        .join('; '),
    ]),
  ];
}

/** A markdown table's cells (the separator row left out), however a formatter aligned it. */
export function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.trim().startsWith('|') && !/^\|[\s|:-]+\|$/.test(l.trim()))
    .map((l) =>
      l
        .trim()
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}
