/**
 * An operator's stop (cancel, or a break-glass failover superseding the operation), as an orchestration sees
 * it: the OPERATION_STOP event, waited for only alongside a pause or a fan-out, so a stop cuts a retry pause
 * or ends the operation at the next group, and never interrupts a write in flight.
 */
import type * as df from 'durable-functions';
import { OPERATION_STOP, type OperationStop } from '../durable/contracts';
import type { Gen } from '../durable/activity-calls';

/**
 * One orchestration's view of the stop event. One wait task per orchestration, created at its first wait: a
 * stop that comes while the orchestration waits on something else completes it all the same (once it has been
 * waited for), so `seen` reads it without yielding.
 */
export interface StopWatch {
  task?: df.Task;
  stop?: OperationStop;
}

/** The stop, if one has come (without waiting for it). */
export function stopSeen(watch: StopWatch): OperationStop | undefined {
  if (!watch.stop && watch.task?.isCompleted) watch.stop = watch.task.result as OperationStop;
  return watch.stop;
}

/** A durable pause until `until`, cut short by a stop: the stop if one came (before or during it). */
export function* pauseUnlessStopped(
  context: df.OrchestrationContext,
  watch: StopWatch,
  until: Date,
): Gen<OperationStop | undefined> {
  const seen = stopSeen(watch);
  if (seen) return seen;
  watch.task ??= context.df.waitForExternalEvent(OPERATION_STOP);
  const timer = context.df.createTimer(until);
  const winner: unknown = yield context.df.Task.any([timer, watch.task]);
  if (winner === timer) return undefined;
  timer.cancel(); // nobody waits for it any more
  return stopSeen(watch);
}

/**
 * Waits for `task` (a group's fan-out) to complete; when a stop comes first, `onStop` runs (it passes the stop
 * on to the entries), then the wait goes on: what was started finishes its steps, as their own rules say.
 */
export function* waitTellingStop(
  context: df.OrchestrationContext,
  watch: StopWatch,
  task: df.Task,
  onStop: (stop: OperationStop) => Gen<void>,
): Gen<unknown> {
  if (stopSeen(watch)) return yield task;
  watch.task ??= context.df.waitForExternalEvent(OPERATION_STOP);
  const winner: unknown = yield context.df.Task.any([task, watch.task]);
  if (winner === task) return task.result;
  yield* onStop(stopSeen(watch)!);
  return yield task;
}
