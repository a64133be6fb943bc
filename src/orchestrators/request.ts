/**
 * The courier of a queued request. The monitor takes one signal per execution and continues as new; a signal
 * that arrives while an execution waits on an activity (a hanging probe) is in that execution's history and
 * is dropped at continueAsNew (durable-functions 3.x cannot carry unprocessed events over). So a request the
 * HTTP API answered "queued" (503) gets a courier: one orchestration per request id that raises the signal
 * again, with backoff, until the monitor's kept answers have its id, or the TTL passes. The monitor answers an
 * id once (monitor-step's onSignal), so a raise that arrives twice is handled once.
 */
import type * as df from 'durable-functions';
import { errorMessage } from '../core/errors';
import type { CourierInput, CourierStatus } from '../durable/contracts';
import { callActivity, type Gen } from '../durable/activity-calls';
import { COURIER_BACKOFF, backoffMs } from '../durable/retries';

/** History stays bounded: after this many raises in one execution the courier continues as new. */
export const COURIER_ATTEMPTS_PER_EXECUTION = 20;

export function* requestCourierOrchestrator(context: df.OrchestrationContext): Gen<CourierStatus> {
  const input = context.df.getInput<CourierInput>();
  const deadline = Date.parse(input.queuedAt) + input.ttlMs;
  let status: CourierStatus = {
    state: 'queued',
    requestId: input.signal.id,
    queuedAt: input.queuedAt,
    attempts: input.attempts,
  };
  for (let i = 0; i < COURIER_ATTEMPTS_PER_EXECUTION; i++) {
    const attempt = status.attempts + 1;
    try {
      const { answered } = yield* callActivity(context, 'deliverRequest', input.signal);
      status = { ...status, attempts: attempt };
      if (answered) {
        const { nextAttemptAt: _none, lastError: _gone, ...rest } = status;
        status = { ...rest, state: 'answered', answeredAt: context.df.currentUtcDateTime.toISOString() };
        context.df.setCustomStatus(status);
        return status;
      }
    } catch (err) {
      // The task hub did not answer (or refused the start of a failed monitor): tried again until the TTL.
      status = { ...status, attempts: attempt, lastError: errorMessage(err) };
    }
    const now = context.df.currentUtcDateTime.getTime();
    if (now >= deadline) {
      const { nextAttemptAt: _none, ...rest } = status;
      status = { ...rest, state: 'expired', expiredAt: new Date(now).toISOString() };
      context.df.setCustomStatus(status);
      return status;
    }
    const next = Math.min(deadline, now + backoffMs(COURIER_BACKOFF, attempt));
    status = { ...status, nextAttemptAt: new Date(next).toISOString() };
    context.df.setCustomStatus(status);
    yield context.df.createTimer(new Date(next));
  }
  context.df.continueAsNew({ ...input, attempts: status.attempts } satisfies CourierInput);
  return status;
}
