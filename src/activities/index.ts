/**
 * The activities: every side effect of the orchestrations, built over ports so tests wire the same code to
 * adapters pointed at local protocol servers. Transient failures throw (the orchestration retries them with
 * backoff); terminal ones are returned as results, so a retry is never wasted on a 403 or a 404.
 */
import { ArmConcurrencyError, ArmTerminalError, ArmTransientError } from '../adapters/arm/errors';
import type { LogicAppsControl } from '../adapters/logicapps/port';
import type { Notifier } from '../adapters/servicebus';
import { NotifyTerminalError } from '../adapters/servicebus';
import type { HealthProbe } from '../adapters/probe';
import { locatorFor } from '../app/locate';
import { observationKey, observePlan, observeTarget, type Observed } from '../app/observe';
import { planFromObserved } from '../app/live-check';
import { toCloudEvent } from '../app/cloudevents';
import {
  entryTargets,
  planOperation,
  slotsFired,
  type Direction,
  type EntryPlan,
  type PlannedAction,
  type WorkflowTarget,
} from '../core/planner';
import { coverageViolations, overlapViolations, type StateOf } from '../core/safety';
import { deferredTargets, violationsAfterEntry } from '../core/preflight';
import type { Plan } from '../plan/schema';
import {
  MONITOR_SIGNAL,
  ORCHESTRATIONS,
  monitorInstanceId,
  operationInstanceId,
  type NotificationInput,
  type OperationInput,
  type OperationProgress,
  type OperationRecord,
  type ProbeActivityResult,
  type GroupCheck,
  type ReadBackReport,
  type Signal,
} from '../durable/contracts';
import type { ApplyActionResult } from '../orchestrators/entry';
import type { PlannedOperation } from '../orchestrators/operation';

/** The slice of the durable client the activities use (df.getClient returns one). */
export interface OrchestrationStarter {
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  getStatus(instanceId: string): Promise<{ runtimeStatus?: string; output?: unknown } | undefined>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
}

export interface ActivityDeps {
  plan: Plan;
  control: LogicAppsControl;
  probe: HealthProbe;
  /** Undefined when the plan configures no notifications. */
  notifier?: Notifier;
  now?: () => Date;
}

const stateOfObserved =
  (observed: Map<string, { observation: { reachable: boolean } & Record<string, unknown> }>): StateOf =>
  (t) => {
    const o = observed.get(observationKey(t))?.observation as
      { state?: string; recurrence?: unknown; error?: string } | undefined;
    // A read ARM answered with an error proves nothing either way, like a region that does not answer.
    return o?.state !== undefined && o.error === undefined
      ? { state: o.state, ...(o.recurrence !== undefined ? { recurrence: o.recurrence } : {}) }
      : 'unknown';
  };

/** Reads of one target during a read-back, spaced 100 ms, 200 ms, 400 ms ... (capped at 2 s). */
const READ_BACK_ATTEMPTS = 6;
const readBackPause = (attempt: number) => Math.min(2_000, 100 * 2 ** (attempt - 1));

const knownState = (action: PlannedAction) =>
  'observed' in action && action.observed !== undefined ? { knownState: action.observed } : {};

export function createActivities(deps: ActivityDeps) {
  const { plan, control } = deps;
  const now = deps.now ?? (() => new Date());

  /** `at` is the orchestration's time, so probe times line up with the monitor's decisions. */
  const probe = async (input?: { at?: string }): Promise<ProbeActivityResult> =>
    deps.probe.probe(plan.healthCheck, input?.at ? new Date(input.at) : now());

  const planOperationActivity = async (input: {
    direction: Direction;
    kind: 'planned' | 'emergency';
  }): Promise<PlannedOperation> => {
    const observed = await observePlan(plan, control);
    // Entries that left their trigger to the live definition are held to the DR rules here, before any write.
    const op = planFromObserved(plan, input.direction, observed, input.kind);
    const unreadable = [...observed.values()]
      .filter((o) => !o.observation.reachable)
      .map((o) => o.target.label);
    const before: ReadBackReport = {
      group: -1,
      at: now().toISOString(),
      mismatches: [],
      violations: overlapViolations(plan, stateOfObserved(observed)),
      unreadable,
    };
    return { plan: op, before };
  };

  const applyAction = async (input: {
    operationId: string;
    action: PlannedAction;
  }): Promise<ApplyActionResult> => {
    const { action } = input;
    const locator = locatorFor(plan, action.target);
    try {
      switch (action.op) {
        // The state read while planning saves a read per action (ARM's read bucket is the tighter one).
        case 'enable':
          return { ok: true, ...(await control.setState(locator, 'Enabled', knownState(action))) };
        case 'disable':
          return { ok: true, ...(await control.setState(locator, 'Disabled', knownState(action))) };
        case 'set-recurrence':
          return {
            ok: true,
            ...(await control.setRecurrence(
              locator,
              action.recurrence as unknown as Record<string, unknown>,
              {
                ...(action.triggerName ? { triggerName: action.triggerName } : {}),
                // The revision read while planning: someone else's write since then is never overwritten.
                ...(action.basedOn ? { basedOn: action.basedOn } : {}),
              },
            )),
          };
        default:
          return { ok: false, error: `${action.op} is not an ARM action` };
      }
    } catch (err) {
      // Retrying the same stale revision can never succeed, and rewriting on a fresh read would silently take
      // the schedule from whoever just changed it. Fail the step now; running the operation again re-plans.
      if (err instanceof ArmConcurrencyError)
        return {
          ok: false,
          error: `${action.target.label} changed since planning, not overwritten (${err.message}); check the change, then run the operation again to plan from a fresh read`,
        };
      if (err instanceof ArmTerminalError) return { ok: false, error: err.message };
      throw err; // Transient: the orchestration retries with backoff.
    }
  };

  /** A read that ARM answered with an error is tried again: a flaky read is not a mismatch. */
  const readBackTarget = async (target: WorkflowTarget) => {
    let seen = await observeTarget(plan, control, target);
    for (
      let attempt = 1;
      attempt < READ_BACK_ATTEMPTS && 'error' in seen.observation && seen.observation.reachable;
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, readBackPause(attempt)));
      seen = await observeTarget(plan, control, target);
    }
    return seen;
  };

  const readBack = async (input: {
    direction: Direction;
    group: number;
    entries: string[];
    /** Observation keys of fences left pending: their region did not answer, so they are not read again. */
    pending?: string[];
  }): Promise<ReadBackReport> => {
    const names = new Set(input.entries);
    const pending = new Set(input.pending ?? []);
    const entries = plan.workflows.filter((w) => names.has(w.name));
    const sub: Plan = { ...plan, workflows: entries };
    const targets = entries.flatMap((e) => entryTargets(plan, e));
    const observed = new Map(
      (
        await Promise.all(
          targets.map(async (t): Promise<Observed> =>
            pending.has(observationKey(t))
              ? {
                  target: t,
                  observation: { reachable: false, error: 'fence pending: its region did not answer' },
                }
              : readBackTarget(t),
          ),
        )
      ).map((o) => [observationKey(o.target), o]),
    );
    const wanted = planOperation(sub, input.direction, () => undefined);
    const mismatches: string[] = [];
    for (const { action } of wanted.groups.flatMap((g) =>
      g.entries.flatMap((e) => e.steps.map((action) => ({ action }))),
    )) {
      const o = observed.get(observationKey(action.target))?.observation;
      if (!o || !('state' in o) || o.error) continue; // Unverified: reported as unreadable below.
      if (action.op === 'enable' && o.state !== 'Enabled')
        mismatches.push(`${action.target.label} is ${o.state}, expected Enabled`);
      if (action.op === 'disable' && o.state !== 'Disabled')
        mismatches.push(`${action.target.label} is ${o.state}, expected Disabled`);
      if (action.op === 'set-recurrence') {
        const entry = entries.find((e) =>
          entryTargets(plan, e).some((t) => t.key === action.target.key && t.region === action.target.region),
        );
        const want = entry?.schedule ? slotsFired(action.recurrence, entry.schedule)?.join() : undefined;
        const have = entry?.schedule ? slotsFired(o.recurrence, entry.schedule)?.join() : undefined;
        if (want !== have) mismatches.push(`${action.target.label} does not run the expected schedule slots`);
      }
    }
    const stateOf = stateOfObserved(observed);
    const active = input.direction === 'failover' ? 'secondary' : 'primary';
    // The region taking over answers but would not show its state: the failover is not verified there.
    for (const o of observed.values()) {
      if (o.target.region === active && o.observation.reachable && 'error' in o.observation)
        mismatches.push(`${o.target.label} could not be read back: ${o.observation.error}`);
    }
    return {
      group: input.group,
      at: now().toISOString(),
      mismatches,
      violations: [...overlapViolations(sub, stateOf), ...coverageViolations(sub, stateOf, active)].map(
        (v) => ({ entry: v.entry, rule: v.rule, message: v.message }),
      ),
      unreadable: [...observed.values()]
        .filter((o) => !o.observation.reachable || 'error' in o.observation)
        .map((o) => o.target.label),
    };
  };

  /**
   * The safety check before a group: reads the targets whose fences were deferred at planning (every other
   * target ends as the entry's steps set it) and reports the `no-dual-active` violations the entries would
   * leave. One read per region first: a region that still does not answer costs one refused call, not one each.
   */
  const checkGroup = async (input: { group: number; entries: EntryPlan[] }): Promise<GroupCheck> => {
    const deferred = input.entries.flatMap(deferredTargets);
    const observed = new Map<string, Observed>();
    for (const region of new Set(deferred.map((t) => t.region))) {
      const [first, ...rest] = deferred.filter((t) => t.region === region);
      const seen = await readBackTarget(first!);
      observed.set(observationKey(first!), seen);
      if (!seen.observation.reachable) continue;
      for (const o of await Promise.all(rest.map(readBackTarget))) observed.set(observationKey(o.target), o);
    }
    const live: StateOf = (t) => {
      const o = observed.get(observationKey(t))?.observation;
      return o?.reachable && 'exists' in o && o.exists === false
        ? { state: 'Disabled' } // Deleted since planning: runs nothing.
        : stateOfObserved(observed)(t);
    };
    const stillUnknown = deferred.filter((t) => live(t) === 'unknown');
    return {
      group: input.group,
      at: now().toISOString(),
      source: 'live',
      read: [...observed.values()].map((o) => o.target.label),
      unreadable: stillUnknown.map((t) => t.label),
      violations: input.entries.flatMap((entry) =>
        violationsAfterEntry(plan, entry, live).map((v) => {
          const back = deferredTargets(entry).filter((t) => {
            const s = live(t);
            return s !== 'unknown' && s.state === 'Enabled';
          });
          const why = back.length
            ? `${back.map((t) => t.label).join(', ')} answered again and is Enabled, but this operation deferred its fence (its region did not answer at planning)`
            : 'a target its steps leave alone is Enabled';
          return { entry: v.entry, rule: v.rule, message: `${why}; after its steps ${v.message}` };
        }),
      ),
    };
  };

  /**
   * The monitor tries this every probe cycle while fences are pending, so a region whose ARM does not answer
   * costs one refused call per cycle: its remaining targets wait for the next cycle without being asked.
   */
  const applyPendingFences = async (targets: WorkflowTarget[]) => {
    const applied: WorkflowTarget[] = [];
    const pending: WorkflowTarget[] = [];
    const errors: string[] = [];
    const silent = new Set<string>();
    for (const target of targets) {
      if (silent.has(target.region)) {
        pending.push(target);
        continue;
      }
      try {
        await control.setState(locatorFor(plan, target), 'Disabled');
        applied.push(target);
      } catch (err) {
        pending.push(target);
        errors.push((err as Error).message);
        if (err instanceof ArmTransientError && err.status === undefined) silent.add(target.region);
      }
    }
    return { applied, pending, errors };
  };

  const sendNotification = async (
    n: NotificationInput,
  ): Promise<{ delivered: boolean; skipped?: string }> => {
    if (!deps.notifier) return { delivered: false, skipped: 'no notifications configured in the plan' };
    try {
      await deps.notifier.send(toCloudEvent(n), { messageId: n.messageId, correlationId: n.correlationId });
      return { delivered: true };
    } catch (err) {
      // Terminal failures (entity missing, unauthorised) are not worth retrying, but must not look delivered.
      if (err instanceof NotifyTerminalError) throw new Error(`undeliverable: ${err.message}`);
      throw err;
    }
  };

  const startOperation = async (
    input: OperationInput,
    client: OrchestrationStarter,
  ): Promise<{ instanceId: string; started: boolean }> => {
    const instanceId = operationInstanceId(input.planId, input.operationId);
    // Idempotent: a retried activity finds the instance it started the first time.
    const existing = await client.getStatus(instanceId).catch(() => undefined);
    if (existing?.runtimeStatus) return { instanceId, started: false };
    await client.startNew(ORCHESTRATIONS.operation, { instanceId, input });
    return { instanceId, started: true };
  };

  const signalMonitor = async (signal: Signal, client: OrchestrationStarter): Promise<void> => {
    await client.raiseEvent(monitorInstanceId(plan.id), MONITOR_SIGNAL, signal);
  };

  /**
   * The monitor's fallback for a lost `operation-finished` signal: is the operation instance over, and with
   * what outcome and pending fences? A status that cannot be read throws (the monitor asks again next cycle).
   */
  const operationStatus = async (
    input: { planId: string; operationId: string },
    client: OrchestrationStarter,
  ): Promise<OperationProgress> => {
    const status = await client.getStatus(operationInstanceId(input.planId, input.operationId));
    const runtimeStatus = status?.runtimeStatus;
    if (runtimeStatus === 'Completed') {
      const record = status?.output as Partial<OperationRecord> | null | undefined;
      const outcome = record?.status;
      return outcome === 'succeeded' || outcome === 'completed-with-errors' || outcome === 'failed'
        ? { finished: true, runtimeStatus, outcome, pendingFences: record?.pendingFences ?? [] }
        : { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    }
    // Crashed or terminated: no record says what was fenced, so nothing is assumed pending.
    if (runtimeStatus === 'Failed' || runtimeStatus === 'Terminated')
      return { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    return { finished: false, ...(runtimeStatus ? { runtimeStatus } : {}) };
  };

  return {
    probe,
    planOperation: planOperationActivity,
    applyAction,
    readBack,
    applyPendingFences,
    sendNotification,
    startOperation,
    signalMonitor,
    operationStatus,
    checkGroup,
  };
}

export type Activities = ReturnType<typeof createActivities>;
