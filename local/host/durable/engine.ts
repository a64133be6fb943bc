/**
 * The Durable orchestration engine: per-instance histories, one episode per batch of new events, and the
 * dispatch of what the orchestrator asked for (activities, timers, sub-orchestrations, ContinueAsNew).
 *
 * Each episode hands the whole history to the registered orchestrator (durable-functions' own replay, with a
 * fresh context every time). The sequence numbers the replay gave new tasks are read back from the
 * executor's open tasks, so TaskScheduled / TimerCreated / SubOrchestrationInstanceCreated carry exactly the
 * ids the replay will look for, including the timer and reschedule ids of `callActivityWithRetry`.
 */
import { randomUUID } from 'node:crypto';
import type { HostClock, ScheduledCallback } from '../clock';
import {
  InstanceAlreadyRunningError,
  NonDeterminismError,
  UnknownFunctionError,
  UnsupportedDurableFeatureError,
} from '../errors';
import {
  completedId,
  EventType,
  events,
  eventTypeName,
  isSchedulingEvent,
  type StoredEvent,
} from './history';
import type { InstanceRecord, InstanceStore, RuntimeStatus } from './store';

/** Durable Functions' limit on an orchestration's custom status (UTF-16 JSON text). */
const CUSTOM_STATUS_LIMIT_BYTES = 16 * 1024;

/** What the Durable extension passes as the orchestration trigger. */
export interface OrchestrationPayload {
  history: StoredEvent[];
  input: unknown;
  instanceId: string;
  isReplaying: boolean;
  parentInstanceId: string | undefined;
  upperSchemaVersion: number;
  upperSchemaVersionNew: number;
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

/** The orchestrator's answer (durable-functions' OrchestratorState). */
export interface OrchestratorStateLike {
  isDone: boolean;
  actions: unknown[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

/** The parts of durable-functions' task objects the engine reads (internals of 3.5.0). */
export interface ReplayTask {
  id: number | string | false;
  actionObj: unknown;
  parent?: ReplayTask & {
    retryOptions?: RetryOptionsLike;
    isWaitingOnTimer?: boolean;
    attemptNumber?: number;
  };
}

export interface RetryOptionsLike {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
}

export interface EpisodeResult {
  state: OrchestratorStateLike | undefined;
  /** Set when the orchestrator threw (or could not run). */
  error: string | undefined;
  /** Open tasks of the replay, keyed by sequence number or event name. */
  openTasks: Record<string, ReplayTask> | undefined;
}

export interface DurableEngineOptions {
  clock: HostClock;
  store: InstanceStore;
  runOrchestrator(name: string, payload: OrchestrationPayload): Promise<EpisodeResult>;
  runActivity(name: string, inputJson: string | undefined): Promise<unknown>;
  isOrchestrator(name: string): boolean;
  isActivity(name: string): boolean;
  checkDeterminism: boolean;
  replaySchema: number;
  maxConcurrentActivities: number;
  log(level: 'info' | 'warning' | 'error', message: string): void;
}

export interface InstanceStatus {
  name: string;
  instanceId: string;
  createdTime: string;
  lastUpdatedTime: string;
  input: unknown;
  output: unknown;
  runtimeStatus: RuntimeStatus;
  customStatus: unknown;
  history?: StoredEvent[];
  failureDetails?: { errorType: string; errorMessage: string };
}

export interface InstanceFilter {
  /** Ids starting with this only (the extension's `instanceIdPrefix`). */
  instanceIdPrefix?: string;
  createdTimeFrom?: number;
  createdTimeTo?: number;
  runtimeStatus?: readonly string[];
}

export type DeliveryResult = 'accepted' | 'notFound' | 'notRunning';

export interface DurableStats {
  orchestratorEpisodes: number;
  determinismReplays: number;
  activityExecutions: number;
  activityFailures: number;
  timersFired: number;
  historyEvents: number;
  /** Events raised to an instance whose start was not stored yet (dropped, as in Azure). */
  eventsDiscarded: number;
  historyEventsByInstance: Record<string, { appended: number; current: number; executions: number }>;
}

const ACTION = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

interface ActionLike {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date | string;
  isCanceled?: boolean;
  retryOptions?: RetryOptionsLike;
  compoundActions?: ActionLike[];
}

interface QueuedActivity {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  inputJson: string | undefined;
}

const ACTIVE: ReadonlySet<RuntimeStatus> = new Set(['Pending', 'Running', 'ContinuedAsNew']);

export class DurableEngine {
  readonly #o: DurableEngineOptions;
  readonly #records = new Map<string, InstanceRecord>();
  readonly #ready = new Set<string>();
  readonly #timers = new Map<string, ScheduledCallback>();
  readonly #activityQueue: QueuedActivity[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #lastErrors = new Map<string, Error>();
  #loop: Promise<void> | undefined;
  #stopped = false;
  /** Executions whose ExecutionStarted an episode has taken: events for them are kept from then on. */
  readonly #startTaken = new Set<string>();
  /** Instances whose dispatch is held (see hold()); their messages queue in the inbox meanwhile. */
  readonly #held = new Set<string>();
  readonly #stats = {
    orchestratorEpisodes: 0,
    determinismReplays: 0,
    activityExecutions: 0,
    activityFailures: 0,
    timersFired: 0,
    historyEvents: 0,
    eventsDiscarded: 0,
  };

  constructor(options: DurableEngineOptions) {
    this.#o = options;
    for (const rec of options.store.list()) this.#records.set(rec.instanceId, rec);
    for (const rec of this.#records.values()) if (ACTIVE.has(rec.runtimeStatus)) this.#resumePendingWork(rec);
  }

  // ---- client operations -------------------------------------------------------------------------

  /**
   * Starts an instance. An existing instance with that id is replaced when it is Completed, Failed or
   * Terminated, and refused while Pending or Running (the extension's `NonRunningStates` policy), so two
   * concurrent starts of a singleton make exactly one instance.
   */
  startNew(name: string, options: { instanceId?: string; inputJson?: string } = {}): string {
    if (!this.#o.isOrchestrator(name)) {
      throw new UnknownFunctionError(`No orchestrator function named '${name}' is registered`);
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    const existing = this.#records.get(instanceId);
    if (existing && ACTIVE.has(existing.runtimeStatus)) {
      throw new InstanceAlreadyRunningError(
        `An instance with ID '${instanceId}' (orchestrator '${existing.name}') is already ${existing.runtimeStatus}`,
      );
    }
    if (existing) this.#cancelTimers(instanceId);
    this.#lastErrors.delete(instanceId);
    this.#createInstance(instanceId, name, options.inputJson, undefined, false);
    // The start message waits for the dispatcher's next turn, as a queued ExecutionStarted waits for a poll:
    // until then the start is not stored, and events raised to the instance are discarded (raiseEvent).
    setImmediate(() => this.#kick());
    return instanceId;
  }

  getStatus(
    instanceId: string,
    options: { showHistory?: boolean; showInput?: boolean } = {},
  ): InstanceStatus | undefined {
    const rec = this.#records.get(instanceId);
    return rec ? this.#toStatus(rec, options) : undefined;
  }

  list(filter: InstanceFilter = {}): InstanceStatus[] {
    return [...this.#records.values()].filter((r) => matches(r, filter)).map((r) => this.#toStatus(r, {}));
  }

  /** The ids matching a filter, without building their statuses (a query page builds only its own). */
  ids(filter: InstanceFilter = {}): string[] {
    return [...this.#records.values()].filter((r) => matches(r, filter)).map((r) => r.instanceId);
  }

  /** The host clock, as the extension's "now" (a purge by filter ends now unless told). */
  now(): number {
    return this.#o.clock.now();
  }

  /**
   * Raises an event. As in Azure, an instance whose start is not stored yet (Pending: its ExecutionStarted has
   * not been through an episode) has no history to add the event to: the Durable Task Framework discards such
   * a message ("No such instance"), while the client was told it was accepted. Senders that must be heard
   * raise again until the instance answers.
   */
  raiseEvent(instanceId: string, eventName: string, dataJson: string | undefined): DeliveryResult {
    const rec = this.#records.get(instanceId);
    if (!rec) return 'notFound';
    if (!ACTIVE.has(rec.runtimeStatus)) return 'notRunning';
    if (rec.runtimeStatus === 'Pending' && !this.#startTaken.has(rec.executionId)) {
      this.#o.log(
        'warning',
        `Event '${eventName}' for instance ${instanceId} discarded: No such instance (its start is not stored yet)`,
      );
      this.#stats.eventsDiscarded += 1;
      return 'accepted';
    }
    this.#deliver(
      rec.instanceId,
      rec.executionId,
      events.eventRaised(this.#o.clock.now(), eventName, dataJson),
    );
    return 'accepted';
  }

  /**
   * Holds an instance's dispatch, as a busy or lagging partition does: messages (events, activity results,
   * timers) queue in its inbox and reach it as one batch on release(). Lets tests make the extension's
   * batching deterministic, e.g. two signals landing in one episode.
   */
  hold(instanceId: string): void {
    this.#held.add(instanceId);
  }

  release(instanceId: string): void {
    if (!this.#held.delete(instanceId)) return;
    const rec = this.#records.get(instanceId);
    if (rec && rec.inbox.length > 0) this.#ready.add(instanceId);
    this.#kick();
  }

  terminate(instanceId: string, reason: string | undefined): DeliveryResult {
    const rec = this.#records.get(instanceId);
    if (!rec) return 'notFound';
    if (!ACTIVE.has(rec.runtimeStatus)) return 'notRunning';
    const now = this.#o.clock.now();
    this.#append(rec, [events.executionTerminated(now, reason)]);
    rec.runtimeStatus = 'Terminated';
    rec.output = JSON.stringify(reason ?? null);
    rec.inbox = [];
    this.#touch(rec, now);
    this.#cancelTimers(instanceId);
    this.#ready.delete(instanceId);
    this.#o.store.save(rec);
    return 'accepted';
  }

  purge(instanceId: string): boolean {
    const rec = this.#records.get(instanceId);
    if (!rec) return false;
    this.#cancelTimers(instanceId);
    this.#records.delete(instanceId);
    this.#ready.delete(instanceId);
    this.#lastErrors.delete(instanceId);
    this.#o.store.delete(instanceId);
    return true;
  }

  purgeBy(filter: InstanceFilter): number {
    const doomed = [...this.#records.values()].filter(
      (r) => !ACTIVE.has(r.runtimeStatus) && matches(r, filter),
    );
    for (const r of doomed) this.purge(r.instanceId);
    return doomed.length;
  }

  history(instanceId: string): StoredEvent[] | undefined {
    return this.#records.get(instanceId)?.history.map((e) => ({ ...e }));
  }

  /** The error that failed the instance inside the host (e.g. a NonDeterminismError), if any. */
  lastError(instanceId: string): Error | undefined {
    return this.#lastErrors.get(instanceId);
  }

  stats(): DurableStats {
    const byInstance: DurableStats['historyEventsByInstance'] = {};
    for (const r of this.#records.values()) {
      byInstance[r.instanceId] = {
        appended: r.historyEventsAppended,
        current: r.history.length,
        executions: r.executions,
      };
    }
    return { ...this.#stats, historyEventsByInstance: byInstance };
  }

  isIdle(): boolean {
    if (this.#loop || this.#inFlight.size > 0) return false;
    return this.#stopped || (this.#ready.size === 0 && !this.#activitiesCanStart());
  }

  /** Resolves once no episode is queued or running and no activity is queued or running. */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.#loop) {
        await this.#loop;
        continue;
      }
      if (this.#inFlight.size > 0) {
        await Promise.all([...this.#inFlight]);
        continue;
      }
      if (!this.#stopped && (this.#ready.size > 0 || this.#activitiesCanStart())) {
        this.#kick();
        continue;
      }
      return;
    }
  }

  /** Stops dispatching; waits for the running episode and activities (their results are still recorded). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#activityQueue.length = 0;
    while (this.#loop || this.#inFlight.size > 0) {
      await Promise.all([this.#loop, ...this.#inFlight]);
    }
  }

  // ---- dispatch ----------------------------------------------------------------------------------

  #createInstance(
    instanceId: string,
    name: string,
    inputJson: string | undefined,
    parent: InstanceRecord['parent'],
    kickNow = true,
  ): InstanceRecord {
    const now = this.#o.clock.now();
    const iso = new Date(now).toISOString();
    const rec: InstanceRecord = {
      instanceId,
      name,
      executionId: randomUUID(),
      runtimeStatus: 'Pending',
      input: inputJson,
      output: undefined,
      customStatus: undefined,
      createdTime: iso,
      lastUpdatedTime: iso,
      parent,
      history: [],
      inbox: [events.executionStarted(now, name, inputJson, parent?.instanceId)],
      actionLog: [],
      failure: undefined,
      historyEventsAppended: 0,
      executions: 1,
    };
    this.#records.set(instanceId, rec);
    this.#o.store.save(rec);
    this.#ready.add(instanceId);
    if (kickNow) this.#kick();
    return rec;
  }

  #deliver(instanceId: string, executionId: string, event: StoredEvent): void {
    const rec = this.#records.get(instanceId);
    // Messages for a finished or replaced execution are dropped, as the extension discards them.
    if (!rec || rec.executionId !== executionId || !ACTIVE.has(rec.runtimeStatus)) return;
    rec.inbox.push(event);
    this.#o.store.save(rec);
    this.#ready.add(instanceId);
    this.#kick();
  }

  #kick(): void {
    if (this.#stopped) return;
    this.#startActivities();
    if (this.#loop || this.#ready.size === 0) return;
    this.#loop = this.#dispatchLoop().finally(() => {
      this.#loop = undefined;
      this.#kick();
    });
  }

  async #dispatchLoop(): Promise<void> {
    // One episode at a time, like the extension's single orchestrator dispatcher per worker.
    while (!this.#stopped && this.#ready.size > 0) {
      const instanceId = this.#ready.values().next().value as string;
      this.#ready.delete(instanceId);
      if (this.#held.has(instanceId)) continue; // release() makes it ready again
      const rec = this.#records.get(instanceId);
      if (!rec || !ACTIVE.has(rec.runtimeStatus) || rec.inbox.length === 0) continue;
      try {
        await this.#runEpisode(rec);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#o.log(
          'error',
          `Orchestration '${rec.name}' (${instanceId}) episode failed in the host: ${error.message}`,
        );
        this.#failInstance(rec, error, this.#o.clock.now());
      }
    }
  }

  async #runEpisode(rec: InstanceRecord): Promise<void> {
    const now = this.#o.clock.now();
    const executionId = rec.executionId;
    const taken = rec.inbox.length;
    this.#startTaken.add(executionId);
    const newEvents = [events.orchestratorStarted(now), ...rec.inbox.slice(0, taken)];
    const history: StoredEvent[] = [...rec.history.map((e) => ({ ...e, IsPlayed: true })), ...newEvents];
    const started = history.find((e) => e.EventType === EventType.ExecutionStarted);
    const payload: OrchestrationPayload = {
      history,
      input: started?.Input === undefined ? undefined : JSON.parse(started.Input as string),
      instanceId: rec.instanceId,
      isReplaying: false,
      parentInstanceId: rec.parent?.instanceId,
      upperSchemaVersion: this.#o.replaySchema,
      upperSchemaVersionNew: this.#o.replaySchema,
      maximumShortTimerDuration: '6.00:00:00',
      longRunningTimerIntervalDuration: '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    if (!this.#o.isOrchestrator(rec.name)) {
      throw new UnknownFunctionError(`No orchestrator function named '${rec.name}' is registered`);
    }
    this.#stats.orchestratorEpisodes += 1;
    const result = await this.#o.runOrchestrator(rec.name, structuredClone(payload));
    let verdict: NonDeterminismError | undefined;
    if (this.#o.checkDeterminism) {
      this.#stats.determinismReplays += 1;
      const again = await this.#o.runOrchestrator(rec.name, structuredClone(payload));
      verdict = compareReplays(rec, result, again);
    }

    // Terminated (or purged, or replaced) while the orchestrator ran: its answer no longer matters.
    if (
      this.#records.get(rec.instanceId) !== rec ||
      rec.executionId !== executionId ||
      !ACTIVE.has(rec.runtimeStatus)
    ) {
      return;
    }
    rec.inbox = rec.inbox.slice(taken);
    if (rec.runtimeStatus === 'Pending' || rec.runtimeStatus === 'ContinuedAsNew')
      rec.runtimeStatus = 'Running';
    this.#append(rec, newEvents);

    const actions = flattenActions(result.state?.actions);
    verdict ??= checkAgainstLog(rec, actions, result.error === undefined);
    if (verdict) {
      this.#failInstance(rec, verdict, now);
      return;
    }
    rec.actionLog = actions;
    if (result.state?.customStatus !== undefined) {
      // The extension fails the orchestration rather than store a custom status over 16 KB of UTF-16 JSON.
      const bytes = JSON.stringify(result.state.customStatus).length * 2;
      if (bytes > CUSTOM_STATUS_LIMIT_BYTES) {
        this.#append(rec, [events.orchestratorCompleted(now)]);
        const message = `The UTF-16 size of the JSON-serialized custom status is ${bytes} bytes, which exceeds the 16 KB limit.`;
        this.#finish(rec, 'Failed', JSON.stringify(message), now, {
          errorType: 'ArgumentOutOfRangeException',
          errorMessage: message,
        });
        this.#o.log('error', `Orchestration '${rec.name}' (${rec.instanceId}) failed: ${message}`);
        return;
      }
      rec.customStatus = result.state.customStatus;
    }

    if (result.error !== undefined || !result.state) {
      this.#append(rec, [events.orchestratorCompleted(now)]);
      this.#finish(rec, 'Failed', JSON.stringify(result.error ?? 'The orchestrator returned no state'), now, {
        errorType: 'OrchestratorError',
        errorMessage: result.error ?? 'The orchestrator returned no state',
      });
      return;
    }

    const unsupported = findUnsupported(result.state.actions);
    if (unsupported) throw unsupported;
    const scheduled = this.#scheduleNewTasks(rec, result.openTasks ?? {}, now);
    this.#append(rec, [...scheduled, events.orchestratorCompleted(now)]);
    this.#startActivities();

    if (result.state.isDone) {
      const continueAsNew = findAction(result.state.actions, ACTION.ContinueAsNew);
      if (continueAsNew) {
        this.#continueAsNew(rec, continueAsNew, now);
      } else {
        const output = result.state.output === undefined ? undefined : JSON.stringify(result.state.output);
        this.#finish(rec, 'Completed', output, now, undefined);
      }
      return;
    }
    this.#touch(rec, now);
    this.#o.store.save(rec);
  }

  /** Creates the scheduling events for sequence numbers the replay handed out and the history lacks. */
  #scheduleNewTasks(rec: InstanceRecord, openTasks: Record<string, ReplayTask>, now: number): StoredEvent[] {
    const known = new Map<number, StoredEvent>();
    for (const e of rec.history) if (isSchedulingEvent(e)) known.set(e.EventId, e);
    const out: StoredEvent[] = [];
    const ids = Object.keys(openTasks)
      .filter((k) => /^\d+$/.test(k))
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of ids) {
      const task = openTasks[String(id)]!;
      const plan = planTask(task, rec, id, now);
      const recorded = known.get(id);
      if (recorded) {
        const expected =
          plan.kind === 'timer'
            ? EventType.TimerCreated
            : plan.kind === 'activity'
              ? EventType.TaskScheduled
              : EventType.SubOrchestrationInstanceCreated;
        const name = 'name' in plan ? plan.name : undefined;
        if (recorded.EventType !== expected || (name !== undefined && recorded.Name !== name)) {
          throw new NonDeterminismError(
            rec.instanceId,
            rec.name,
            `replay gave task ${id} to ${plan.kind}${name ? ` '${name}'` : ''} but the history has ${eventTypeName(recorded.EventType)}${typeof recorded.Name === 'string' ? ` '${recorded.Name}'` : ''}`,
          );
        }
        if (plan.kind === 'timer' && plan.canceled) this.#timers.get(timerKey(rec, id))?.cancel();
        continue;
      }
      switch (plan.kind) {
        case 'activity':
          out.push(events.taskScheduled(now, id, plan.name, plan.inputJson));
          this.#activityQueue.push({
            instanceId: rec.instanceId,
            executionId: rec.executionId,
            taskId: id,
            name: plan.name,
            inputJson: plan.inputJson,
          });
          break;
        case 'timer':
          // A timer cancelled before it was ever recorded never needs to fire.
          if (plan.canceled) break;
          out.push(events.timerCreated(now, id, plan.fireAt));
          this.#armTimer(rec.instanceId, rec.executionId, id, plan.fireAt);
          break;
        case 'subOrchestration': {
          const childId = plan.instanceId ?? `${rec.instanceId}:${id.toString(16).padStart(4, '0')}`;
          out.push(events.subOrchestrationCreated(now, id, plan.name, childId, plan.inputJson));
          this.#startChild(rec, id, plan.name, childId, plan.inputJson, now);
          break;
        }
      }
    }
    return out;
  }

  #startChild(
    parent: InstanceRecord,
    taskId: number,
    name: string,
    childId: string,
    inputJson: string | undefined,
    now: number,
  ): void {
    const existing = this.#records.get(childId);
    // Goes to the inbox, so the next episode sees it after this episode's SubOrchestrationInstanceCreated.
    const failWith = (why: string): void =>
      this.#deliver(
        parent.instanceId,
        parent.executionId,
        events.subOrchestrationFailed(now, taskId, why, ''),
      );
    if (!this.#o.isOrchestrator(name))
      return failWith(`No orchestrator function named '${name}' is registered`);
    if (existing && ACTIVE.has(existing.runtimeStatus)) {
      return failWith(`An instance with ID '${childId}' is already ${existing.runtimeStatus}`);
    }
    this.#createInstance(childId, name, inputJson, {
      instanceId: parent.instanceId,
      taskScheduledId: taskId,
    });
  }

  #continueAsNew(rec: InstanceRecord, action: ActionLike, now: number): void {
    this.#cancelTimers(rec.instanceId);
    // Events that arrived while this episode ran are still in the inbox and go to the new execution;
    // events already in this execution's history and never awaited are dropped (the extension's default).
    const carried = rec.inbox;
    const inputJson = action.input === undefined ? undefined : JSON.stringify(action.input);
    rec.executionId = randomUUID();
    rec.executions += 1;
    rec.input = inputJson;
    rec.history = [];
    rec.actionLog = [];
    rec.inbox = [events.executionStarted(now, rec.name, inputJson, rec.parent?.instanceId), ...carried];
    rec.runtimeStatus = 'ContinuedAsNew';
    this.#touch(rec, now);
    this.#o.store.save(rec);
    this.#ready.add(rec.instanceId);
  }

  #finish(
    rec: InstanceRecord,
    status: 'Completed' | 'Failed',
    outputJson: string | undefined,
    now: number,
    failure: InstanceRecord['failure'],
  ): void {
    this.#append(rec, [events.executionCompleted(now, status, outputJson)]);
    rec.runtimeStatus = status;
    rec.output = outputJson;
    rec.failure = failure;
    rec.inbox = [];
    this.#touch(rec, now);
    this.#cancelTimers(rec.instanceId);
    this.#o.store.save(rec);
    if (rec.parent) {
      const { instanceId, taskScheduledId } = rec.parent;
      const parent = this.#records.get(instanceId);
      if (parent) {
        const event =
          status === 'Completed'
            ? events.subOrchestrationCompleted(now, taskScheduledId, outputJson ?? 'null')
            : events.subOrchestrationFailed(
                now,
                taskScheduledId,
                failure?.errorMessage ?? 'Sub-orchestration failed',
                `Sub-orchestration '${rec.name}' (${rec.instanceId}) failed`,
              );
        this.#deliver(instanceId, parent.executionId, event);
      }
    }
  }

  #failInstance(rec: InstanceRecord, error: Error, now: number): void {
    if (!ACTIVE.has(rec.runtimeStatus)) return;
    this.#lastErrors.set(rec.instanceId, error);
    rec.inbox = [];
    this.#finish(rec, 'Failed', JSON.stringify(error.message), now, {
      errorType: error.name,
      errorMessage: error.message,
    });
  }

  #append(rec: InstanceRecord, evts: StoredEvent[]): void {
    rec.history.push(...evts);
    rec.historyEventsAppended += evts.length;
    this.#stats.historyEvents += evts.length;
  }

  #touch(rec: InstanceRecord, now: number): void {
    rec.lastUpdatedTime = new Date(now).toISOString();
  }

  // ---- activities and timers ----------------------------------------------------------------------

  // maxConcurrentActivities 0 parks activities (tests use it to stop a host with work outstanding).
  #activitiesCanStart(): boolean {
    return this.#activityQueue.length > 0 && this.#inFlight.size < this.#o.maxConcurrentActivities;
  }

  #startActivities(): void {
    while (
      !this.#stopped &&
      this.#inFlight.size < this.#o.maxConcurrentActivities &&
      this.#activityQueue.length > 0
    ) {
      const job = this.#activityQueue.shift()!;
      const run: Promise<void> = this.#runActivity(job).finally(() => {
        this.#inFlight.delete(run);
        this.#kick();
      });
      this.#inFlight.add(run);
    }
  }

  async #runActivity(job: QueuedActivity): Promise<void> {
    this.#stats.activityExecutions += 1;
    let event: StoredEvent;
    try {
      if (!this.#o.isActivity(job.name)) {
        throw new UnknownFunctionError(`No activity function named '${job.name}' is registered`);
      }
      const result = await this.#o.runActivity(job.name, job.inputJson);
      event = events.taskCompleted(this.#o.clock.now(), job.taskId, JSON.stringify(result) ?? 'null');
    } catch (err) {
      this.#stats.activityFailures += 1;
      const error = err instanceof Error ? err : new Error(String(err));
      event = events.taskFailed(this.#o.clock.now(), job.taskId, error.message, error.stack ?? '');
    }
    this.#deliver(job.instanceId, job.executionId, event);
  }

  #armTimer(instanceId: string, executionId: string, timerId: number, fireAt: number): void {
    const key = `${instanceId}\u0000${executionId}\u0000${timerId}`;
    this.#timers.get(key)?.cancel();
    const fireAtIso = new Date(fireAt).toISOString();
    this.#timers.set(
      key,
      this.#o.clock.schedule(fireAt, () => {
        this.#timers.delete(key);
        this.#stats.timersFired += 1;
        this.#deliver(instanceId, executionId, events.timerFired(this.#o.clock.now(), timerId, fireAtIso));
      }),
    );
  }

  #cancelTimers(instanceId: string): void {
    const prefix = `${instanceId}\u0000`;
    for (const [key, handle] of this.#timers) {
      if (key.startsWith(prefix)) {
        handle.cancel();
        this.#timers.delete(key);
      }
    }
  }

  /** After a restart: re-run activities without a recorded result, re-arm timers, notify parents. */
  #resumePendingWork(rec: InstanceRecord): void {
    const answered = new Set<number>();
    for (const e of [...rec.history, ...rec.inbox]) {
      const id = completedId(e);
      if (id !== undefined) answered.add(id);
    }
    for (const e of rec.history) {
      if (!isSchedulingEvent(e) || answered.has(e.EventId)) continue;
      if (e.EventType === EventType.TaskScheduled) {
        this.#activityQueue.push({
          instanceId: rec.instanceId,
          executionId: rec.executionId,
          taskId: e.EventId,
          name: e.Name as string,
          inputJson: e.Input as string | undefined,
        });
      } else if (e.EventType === EventType.TimerCreated) {
        this.#armTimer(rec.instanceId, rec.executionId, e.EventId, Date.parse(e.FireAt as string));
      } else {
        const child = this.#records.get(e.InstanceId as string);
        if (child && !ACTIVE.has(child.runtimeStatus)) {
          const now = this.#o.clock.now();
          rec.inbox.push(
            child.runtimeStatus === 'Completed'
              ? events.subOrchestrationCompleted(now, e.EventId, child.output ?? 'null')
              : events.subOrchestrationFailed(
                  now,
                  e.EventId,
                  child.failure?.errorMessage ?? child.runtimeStatus,
                  '',
                ),
          );
        }
      }
    }
    if (rec.inbox.length > 0) this.#ready.add(rec.instanceId);
  }

  #toStatus(rec: InstanceRecord, options: { showHistory?: boolean; showInput?: boolean }): InstanceStatus {
    const status: InstanceStatus = {
      name: rec.name,
      instanceId: rec.instanceId,
      createdTime: rec.createdTime,
      lastUpdatedTime: rec.lastUpdatedTime,
      input: options.showInput === false || rec.input === undefined ? null : JSON.parse(rec.input),
      output: rec.output === undefined ? null : JSON.parse(rec.output),
      runtimeStatus: rec.runtimeStatus,
      customStatus: rec.customStatus ?? null,
    };
    if (options.showHistory) status.history = rec.history.map((e) => ({ ...e }));
    if (rec.failure) status.failureDetails = { ...rec.failure };
    return status;
  }
}

function timerKey(rec: InstanceRecord, id: number): string {
  return `${rec.instanceId}\u0000${rec.executionId}\u0000${id}`;
}

type TaskPlan =
  | { kind: 'activity'; name: string; inputJson: string | undefined }
  | { kind: 'timer'; fireAt: number; canceled: boolean }
  | { kind: 'subOrchestration'; name: string; instanceId: string | undefined; inputJson: string | undefined };

/** What an open replay task asks the host to do. */
function planTask(task: ReplayTask, rec: InstanceRecord, id: number, now: number): TaskPlan {
  const action = task.actionObj;
  if (action === 'noOp') {
    // A retry step of callActivityWithRetry / callSubOrchestratorWithRetry: first a timer, then a new attempt.
    const retry = task.parent;
    const retryAction = retry?.actionObj as ActionLike | undefined;
    if (!retry?.retryOptions || !retryAction) {
      throw new UnsupportedDurableFeatureError(
        `Orchestration '${rec.name}' (${rec.instanceId}): task ${id} is an internal step the host does not know`,
      );
    }
    if (retry.isWaitingOnTimer) {
      const failedAttempts = (retry.attemptNumber ?? 2) - 1;
      // After the last attempt the replay still waits on a timer before it gives up; DurableTask.Core's
      // RetryInterceptor schedules that final timer with no delay (Azure/durabletask#661), so it fires at once.
      const last = failedAttempts >= retry.retryOptions.maxNumberOfAttempts;
      const delay = last ? 0 : retryDelay(retry.retryOptions, failedAttempts);
      return { kind: 'timer', fireAt: now + delay, canceled: false };
    }
    return planAction(retryAction, rec, id);
  }
  return planAction(action as ActionLike, rec, id);
}

function planAction(action: ActionLike, rec: InstanceRecord, id: number): TaskPlan {
  switch (action.actionType) {
    case ACTION.CallActivity:
    case ACTION.CallActivityWithRetry:
      return { kind: 'activity', name: action.functionName!, inputJson: toJson(action.input) };
    case ACTION.CreateTimer:
      return {
        kind: 'timer',
        fireAt: new Date(action.fireAt!).getTime(),
        canceled: action.isCanceled === true,
      };
    case ACTION.CallSubOrchestrator:
    case ACTION.CallSubOrchestratorWithRetry:
      return {
        kind: 'subOrchestration',
        name: action.functionName!,
        instanceId: action.instanceId || undefined,
        inputJson: toJson(action.input),
      };
    default:
      throw new UnsupportedDurableFeatureError(
        `Orchestration '${rec.name}' (${rec.instanceId}): task ${id} uses action type ${action.actionType}, which this host does not run (entities and durable HTTP are not supported)`,
      );
  }
}

/** Delay before retry number `failedAttempts` (1-based), as the Durable Task Framework computes it. */
export function retryDelay(options: RetryOptionsLike, failedAttempts: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttempts - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  return cap !== undefined && cap > 0 ? Math.min(delay, cap) : delay;
}

function toJson(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

function* walkActions(actions: unknown[][] | undefined): Generator<ActionLike> {
  const visit = function* (a: ActionLike): Generator<ActionLike> {
    yield a;
    for (const c of a.compoundActions ?? []) yield* visit(c);
  };
  for (const group of actions ?? []) for (const a of group) yield* visit(a as ActionLike);
}

function findAction(actions: unknown[][], type: number): ActionLike | undefined {
  for (const a of walkActions(actions)) if (a.actionType === type) return a;
  return undefined;
}

function findUnsupported(actions: unknown[][]): UnsupportedDurableFeatureError | undefined {
  for (const a of walkActions(actions)) {
    if (
      a.actionType === ACTION.CallEntity ||
      a.actionType === ACTION.SignalEntity ||
      a.actionType === ACTION.LockEntities ||
      a.actionType === ACTION.ReleaseEntities ||
      a.actionType === ACTION.CallHttp
    ) {
      return new UnsupportedDurableFeatureError(
        `The orchestrator used action type ${a.actionType} (entities / callHttp), which this host does not run`,
      );
    }
  }
  return undefined;
}

/** Top-level actions as comparable text. `isCanceled` is left out: cancelling mutates a recorded timer action. */
function flattenActions(actions: unknown[][] | undefined): string[] {
  const out: string[] = [];
  for (const group of actions ?? []) {
    for (const a of group)
      out.push(JSON.stringify(a, (key, value: unknown) => (key === 'isCanceled' ? undefined : value)));
  }
  return out;
}

/** Replay must reproduce every action recorded so far, in order. */
function checkAgainstLog(
  rec: InstanceRecord,
  actions: string[],
  complete: boolean,
): NonDeterminismError | undefined {
  const n = Math.min(rec.actionLog.length, actions.length);
  for (let i = 0; i < n; i++) {
    if (rec.actionLog[i] !== actions[i]) {
      return new NonDeterminismError(
        rec.instanceId,
        rec.name,
        `action ${i} was ${rec.actionLog[i]} when recorded but ${actions[i]} on replay`,
      );
    }
  }
  if (complete && actions.length < rec.actionLog.length) {
    return new NonDeterminismError(
      rec.instanceId,
      rec.name,
      `replay produced ${actions.length} actions but ${rec.actionLog.length} were recorded; missing ${rec.actionLog[actions.length]}`,
    );
  }
  return undefined;
}

/** Two replays of the same history from scratch must agree. */
function compareReplays(
  rec: InstanceRecord,
  a: EpisodeResult,
  b: EpisodeResult,
): NonDeterminismError | undefined {
  const first = flattenActions(a.state?.actions);
  const second = flattenActions(b.state?.actions);
  const n = Math.max(first.length, second.length);
  for (let i = 0; i < n; i++) {
    if (first[i] !== second[i]) {
      return new NonDeterminismError(
        rec.instanceId,
        rec.name,
        `two replays of the same history disagree at action ${i}: ${first[i] ?? '(none)'} versus ${second[i] ?? '(none)'}`,
      );
    }
  }
  if ((a.error === undefined) !== (b.error === undefined) || a.state?.isDone !== b.state?.isDone) {
    return new NonDeterminismError(
      rec.instanceId,
      rec.name,
      'two replays of the same history ended differently',
    );
  }
  return undefined;
}

function matches(rec: InstanceRecord, filter: InstanceFilter): boolean {
  if (filter.instanceIdPrefix !== undefined && !rec.instanceId.startsWith(filter.instanceIdPrefix))
    return false;
  const created = Date.parse(rec.createdTime);
  if (filter.createdTimeFrom !== undefined && created < filter.createdTimeFrom) return false;
  if (filter.createdTimeTo !== undefined && created > filter.createdTimeTo) return false;
  if (
    filter.runtimeStatus &&
    filter.runtimeStatus.length > 0 &&
    !filter.runtimeStatus.includes(rec.runtimeStatus)
  ) {
    return false;
  }
  return true;
}
