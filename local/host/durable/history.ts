/**
 * Durable history events, built with durable-functions' own history classes (the shapes its replay reads)
 * and kept as their JSON form: that is what the Durable extension sends to the worker and what the store
 * writes. Completions point at their task by TaskScheduledId / TimerId / event Name; EventId is the
 * sequence number for scheduling events and -1 otherwise, as in the Durable Task Framework.
 */
import { createRequire } from 'node:module';

/** A history event in wire (JSON) form. */
export interface StoredEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
} as const;

const EVENT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([k, v]) => [v, k]),
);

export function eventTypeName(type: number): string {
  return EVENT_NAMES[type] ?? `EventType${type}`;
}

type HistoryClass = new (options: Record<string, unknown>) => object;
type HistoryEventBase = new (type: number, eventId: number, isPlayed: boolean, timestamp: Date) => object;
type OptionsClass = new (eventId: number, timestamp: Date, isPlayed?: boolean) => Record<string, unknown>;

// durable-functions has no typings for its internals; it is pinned at 3.5.0, whose paths these are.
const dfRequire = createRequire(__filename);
function dfExport<T>(file: string, name: string): T {
  const mod = dfRequire(`durable-functions/lib/src/${file}`) as Record<string, unknown>;
  const value = mod[name];
  if (value === undefined) throw new Error(`durable-functions/lib/src/${file} has no export '${name}'`);
  return value as T;
}

const HistoryEventOptions = dfExport<OptionsClass>('history/HistoryEventOptions', 'HistoryEventOptions');
const HistoryEvent = dfExport<HistoryEventBase>('history/HistoryEvent', 'HistoryEvent');
const classes = {
  ExecutionStarted: dfExport<HistoryClass>('history/ExecutionStartedEvent', 'ExecutionStartedEvent'),
  OrchestratorStarted: dfExport<HistoryClass>('history/OrchestratorStartedEvent', 'OrchestratorStartedEvent'),
  OrchestratorCompleted: dfExport<HistoryClass>(
    'history/OrchestratorCompletedEvent',
    'OrchestratorCompletedEvent',
  ),
  TaskScheduled: dfExport<HistoryClass>('history/TaskScheduledEvent', 'TaskScheduledEvent'),
  TaskCompleted: dfExport<HistoryClass>('history/TaskCompletedEvent', 'TaskCompletedEvent'),
  TaskFailed: dfExport<HistoryClass>('history/TaskFailedEvent', 'TaskFailedEvent'),
  TimerCreated: dfExport<HistoryClass>('history/TimerCreatedEvent', 'TimerCreatedEvent'),
  TimerFired: dfExport<HistoryClass>('history/TimerFiredEvent', 'TimerFiredEvent'),
  EventRaised: dfExport<HistoryClass>('history/EventRaisedEvent', 'EventRaisedEvent'),
  SubCreated: dfExport<HistoryClass>(
    'history/SubOrchestrationInstanceCreatedEvent',
    'SubOrchestrationInstanceCreatedEvent',
  ),
  SubCompleted: dfExport<HistoryClass>(
    'history/SubOrchestrationInstanceCompletedEvent',
    'SubOrchestrationInstanceCompletedEvent',
  ),
  SubFailed: dfExport<HistoryClass>(
    'history/SubOrchestrationInstanceFailedEvent',
    'SubOrchestrationInstanceFailedEvent',
  ),
};

function build(
  cls: HistoryClass,
  eventId: number,
  at: number,
  fields: Record<string, unknown> = {},
): StoredEvent {
  const options = new HistoryEventOptions(eventId, new Date(at));
  Object.assign(options, fields);
  return JSON.parse(JSON.stringify(new cls(options))) as StoredEvent;
}

// Events of types the package has no class for (it never reads them) use its base class.
function buildBase(type: number, at: number, fields: Record<string, unknown>): StoredEvent {
  const event = new HistoryEvent(type, -1, false, new Date(at));
  return JSON.parse(JSON.stringify(Object.assign(event, fields))) as StoredEvent;
}

export const events = {
  orchestratorStarted: (at: number) => build(classes.OrchestratorStarted, -1, at),
  orchestratorCompleted: (at: number) => build(classes.OrchestratorCompleted, -1, at),
  executionStarted: (at: number, name: string, input: string | undefined, parentInstanceId?: string) =>
    build(classes.ExecutionStarted, -1, at, {
      name,
      input,
      ...(parentInstanceId ? { parentInstance: parentInstanceId } : {}),
    }),
  executionCompleted: (at: number, status: 'Completed' | 'Failed', result: string | undefined) =>
    buildBase(EventType.ExecutionCompleted, at, { OrchestrationStatus: status, Result: result }),
  executionTerminated: (at: number, reason: string | undefined) =>
    buildBase(EventType.ExecutionTerminated, at, { Input: reason }),
  taskScheduled: (at: number, id: number, name: string, input: string | undefined) =>
    build(classes.TaskScheduled, id, at, { name, input }),
  taskCompleted: (at: number, taskScheduledId: number, result: string) =>
    build(classes.TaskCompleted, -1, at, { taskScheduledId, result }),
  taskFailed: (at: number, taskScheduledId: number, reason: string, details: string) =>
    build(classes.TaskFailed, -1, at, { taskScheduledId, reason, details }),
  timerCreated: (at: number, id: number, fireAt: number) =>
    build(classes.TimerCreated, id, at, { fireAt: new Date(fireAt) }),
  timerFired: (at: number, timerId: number, fireAt: string) =>
    build(classes.TimerFired, -1, at, { timerId, fireAt: new Date(fireAt) }),
  eventRaised: (at: number, name: string, input: string | undefined) =>
    build(classes.EventRaised, -1, at, { name, input }),
  subOrchestrationCreated: (
    at: number,
    id: number,
    name: string,
    instanceId: string,
    input: string | undefined,
  ) => build(classes.SubCreated, id, at, { name, instanceId, input }),
  subOrchestrationCompleted: (at: number, taskScheduledId: number, result: string) =>
    build(classes.SubCompleted, -1, at, { taskScheduledId, result }),
  subOrchestrationFailed: (at: number, taskScheduledId: number, reason: string, details: string) =>
    build(classes.SubFailed, -1, at, { taskScheduledId, reason, details }),
};

/** Scheduling events take a sequence number; their completion refers to it. */
export function isSchedulingEvent(e: StoredEvent): boolean {
  return (
    e.EventType === EventType.TaskScheduled ||
    e.EventType === EventType.TimerCreated ||
    e.EventType === EventType.SubOrchestrationInstanceCreated
  );
}

/** The sequence number a completion event answers, or undefined for other events. */
export function completedId(e: StoredEvent): number | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return e.TaskScheduledId as number;
    case EventType.TimerFired:
      return e.TimerId as number;
    default:
      return undefined;
  }
}
