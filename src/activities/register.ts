/**
 * Registers one activity under its name from the ACTIVITIES table, with the handler of the same key in the
 * activities factory, so a functions/activity-* file cannot pair a name with the wrong handler or input. The
 * composition root passes in the activities (built over its control plane) and hands these to functions/.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityName } from '../durable/activity-calls';
import type { DurableClient } from '../durable/client';
import { ACTIVITIES, TRACE_FIELD, type TraceCarrier } from '../durable/contracts';
import { inActivitySpan } from '../telemetry/tracing';
import type { Activities } from './index';

/** The second parameter, if the activity has one (never when it has none). */
type Extra<K extends ActivityName> = NonNullable<Parameters<Activities[K]>[1]>;
type Takes<K extends ActivityName, T> = [Extra<K>] extends [never]
  ? false
  : Extra<K> extends T
    ? true
    : false;

/** Activities whose second parameter is the durable client: they get the durableClient input binding. */
export type ClientActivityName = {
  [K in ActivityName]: Takes<K, DurableClient> extends true ? K : never;
}[ActivityName];
/** Activities whose second parameter is an alert-level log line sink: the invocation's error log. */
export type LoggingActivityName = {
  [K in ActivityName]: Takes<K, (line: string) => void> extends true ? K : never;
}[ActivityName];
/** Activities that take their input and nothing else. */
export type PlainActivityName = {
  [K in ActivityName]: Parameters<Activities[K]>['length'] extends 0 | 1 ? K : never;
}[ActivityName];

// The name/handler pairing is typed by the names above; the call itself goes through the untyped binding.
type Untyped = (input: unknown, extra?: unknown) => unknown;

/**
 * The activity as a span of its operation's trace when its input carries one (the orchestration put it under
 * TRACE_FIELD): the carrier is taken off, so the activity sees the input its type says.
 */
function traced(name: ActivityName, input: unknown, run: (input: unknown) => unknown): Promise<unknown> {
  if (input && typeof input === 'object' && !Array.isArray(input) && TRACE_FIELD in input) {
    const { [TRACE_FIELD]: carrier, ...rest } = input as Record<string, unknown>;
    return inActivitySpan(name, carrier as TraceCarrier, async () => run(rest));
  }
  return Promise.resolve(run(input));
}

export interface ActivityRegistration {
  registerActivity: (name: PlainActivityName) => void;
  registerClientActivity: (name: ClientActivityName) => void;
  registerLoggingActivity: (name: LoggingActivityName) => void;
}

/** `activities` is called per invocation (cheap), so an installed control plane applies to the next one. */
export function createActivityRegistration(activities: () => Activities): ActivityRegistration {
  const handlerOf = (name: ActivityName) => activities()[name] as Untyped;
  return {
    registerActivity(name) {
      df.app.activity(ACTIVITIES[name], {
        handler: (input: unknown) => traced(name, input, (i) => handlerOf(name)(i)),
      });
    },
    registerClientActivity(name) {
      df.app.activity(ACTIVITIES[name], {
        extraInputs: [df.input.durableClient()],
        handler: (input: unknown, context: InvocationContext) =>
          traced(name, input, (i) => handlerOf(name)(i, df.getClient(context))),
      });
    },
    registerLoggingActivity(name) {
      df.app.activity(ACTIVITIES[name], {
        handler: (input: unknown, context: InvocationContext) =>
          traced(name, input, (i) => handlerOf(name)(i, (line: string) => context.error(line))),
      });
    },
  };
}
