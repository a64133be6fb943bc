/**
 * Typed activity calls, derived from the activities factory (as temporal's proxyActivities does): a wrong
 * name, input or result type is a compile error. Only the types of src/activities are imported, so the
 * orchestrators stay free of I/O; the one cast from the untyped durable result lives here.
 */
import type * as df from 'durable-functions';
import type { Activities } from '../activities';
import { ACTIVITIES } from './contracts';

export type ActivityName = keyof typeof ACTIVITIES;
export type ActivityInput<K extends ActivityName> = Parameters<Activities[K]>[0];
export type ActivityOutput<K extends ActivityName> = Awaited<ReturnType<Activities[K]>>;

/** A task whose result type is known, for Task.all fan-outs. */
export type TypedTask<T> = df.Task & { readonly __result?: T };

export function activityTask<K extends ActivityName>(
  context: df.OrchestrationContext,
  name: K,
  input: ActivityInput<K>,
  retry?: df.RetryOptions,
): TypedTask<ActivityOutput<K>> {
  return retry
    ? context.df.callActivityWithRetry(ACTIVITIES[name], retry, input)
    : context.df.callActivity(ACTIVITIES[name], input);
}

/** `const r = yield* callActivity(context, 'probe', input)`: yields the task, returns its typed result. */
export function* callActivity<K extends ActivityName>(
  context: df.OrchestrationContext,
  name: K,
  input: ActivityInput<K>,
  retry?: df.RetryOptions,
): Generator<df.Task, ActivityOutput<K>, unknown> {
  return (yield activityTask(context, name, input, retry)) as ActivityOutput<K>;
}
