/**
 * Typed durable calls, derived from the activities factory (as temporal's proxyActivities does) and from the
 * sub-orchestration table in contracts.ts: a wrong name, input or result type is a compile error. Only the
 * types of src/activities are imported, so the orchestrators stay free of I/O; the casts from the untyped
 * durable results live here, and nowhere else.
 */
import type * as df from 'durable-functions';
import type { Activities } from '../activities';
import {
  ACTIVITIES,
  ORCHESTRATIONS,
  TRACE_FIELD,
  type SubOrchestrations,
  type TraceCarrier,
} from './contracts';

/** What every orchestrator function is: it yields durable tasks and returns T. */
export type Gen<T> = Generator<df.Task, T, unknown>;

export type ActivityName = keyof typeof ACTIVITIES;
export type ActivityInput<K extends ActivityName> = Parameters<Activities[K]>[0];
export type ActivityOutput<K extends ActivityName> = Awaited<ReturnType<Activities[K]>>;

export type SubOrchestrationName = keyof SubOrchestrations;
export type SubOrchestrationInput<K extends SubOrchestrationName> = SubOrchestrations[K]['input'];
export type SubOrchestrationOutput<K extends SubOrchestrationName> = SubOrchestrations[K]['output'];

/** A task whose result type is known, for Task.all fan-outs. */
export type TypedTask<T> = df.Task & { readonly __result?: T };
type ResultOf<T> = T extends TypedTask<infer R> ? R : never;

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
): Gen<ActivityOutput<K>> {
  return (yield activityTask(context, name, input, retry)) as ActivityOutput<K>;
}

/**
 * The input with the span context the activity runs under (the registration strips it off again), or the
 * input as it is when there is none. Deterministic: the carrier is derived from the operation id.
 */
export function traced<T extends object>(input: T, trace: TraceCarrier | undefined): T {
  return trace ? { ...input, [TRACE_FIELD]: trace } : input;
}

/** A sub-orchestration as a typed task (its instance id chosen by the caller, so a replay finds it again). */
export function subOrchestrationTask<K extends SubOrchestrationName>(
  context: df.OrchestrationContext,
  name: K,
  input: SubOrchestrationInput<K>,
  instanceId: string,
): TypedTask<SubOrchestrationOutput<K>> {
  return context.df.callSubOrchestrator(ORCHESTRATIONS[name], input, instanceId);
}

/** A fan-out built but not yet waited for: its one durable task (none when empty) and how to read its results. */
export interface FanOut<R> {
  task: df.Task | undefined;
  results(values: unknown): R;
}

/** Task.all over named groups of typed tasks, to wait for as the caller chooses (see allOf). */
export function fanOut<G extends Record<string, TypedTask<unknown>[]>>(
  context: df.OrchestrationContext,
  groups: G,
): FanOut<{ [K in keyof G]: ResultOf<G[K][number]>[] }> {
  const names = Object.keys(groups) as (keyof G)[];
  const tasks = names.flatMap((n) => groups[n]!);
  return {
    task: tasks.length ? context.df.Task.all(tasks) : undefined,
    results(values) {
      const all = (values ?? []) as unknown[];
      const out = {} as { [K in keyof G]: ResultOf<G[K][number]>[] };
      let at = 0;
      for (const n of names) {
        const size = groups[n]!.length;
        out[n] = all.slice(at, at + size) as ResultOf<G[typeof n][number]>[];
        at += size;
      }
      return out;
    },
  };
}

/**
 * Task.all over named groups of typed tasks, each group's results in its own typed array: one durable
 * fan-out, no `results.shift() as ...` at the caller. An empty fan-out yields nothing.
 */
export function* allOf<G extends Record<string, TypedTask<unknown>[]>>(
  context: df.OrchestrationContext,
  groups: G,
): Gen<{ [K in keyof G]: ResultOf<G[K][number]>[] }> {
  const fan = fanOut(context, groups);
  return fan.results(fan.task ? yield fan.task : []);
}
