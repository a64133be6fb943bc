/**
 * The courier of a queued request. The monitor takes one signal per execution and continues as new; a signal
 * that arrives while an execution waits on an activity (a hanging probe) is in that execution's history and
 * is dropped at continueAsNew (durable-functions 3.x cannot carry unprocessed events over). So a request the
 * HTTP API answered "queued" (503) gets a courier: one orchestration per request id that raises the signal
 * again, with backoff, until the monitor's kept answers have its id, or the TTL passes. The monitor answers an
 * id once (monitor-step's onSignal), so a raise that arrives twice is handled once.
 */
import type * as df from 'durable-functions';
import type { CourierInput, CourierStatus } from '../durable/contracts';
import { callActivity, type Gen } from '../durable/activity-calls';
import { COURIER_BACKOFF } from '../durable/retries';
import { retryUntilExpiry } from './retry';

/** History stays bounded: after this many raises in one execution the courier continues as new. */
export const COURIER_ATTEMPTS_PER_EXECUTION = 20;

export function* requestCourierOrchestrator(context: df.OrchestrationContext): Gen<CourierStatus> {
  const input = context.df.getInput<CourierInput>();
  const initial: CourierStatus = {
    state: 'queued',
    requestId: input.signal.id,
    queuedAt: input.queuedAt,
    attempts: input.attempts,
  };
  // A failed raise (the task hub did not answer, or refused the start of a failed monitor) is tried again
  // until the TTL, like an unanswered one.
  const { status } = yield* retryUntilExpiry(context, input, initial, {
    backoff: COURIER_BACKOFF,
    attemptsPerExecution: COURIER_ATTEMPTS_PER_EXECUTION,
    attempt: () => callActivity(context, 'deliverRequest', input.signal),
    settle: ({ answered }, counted): CourierStatus | undefined =>
      answered
        ? { ...counted, state: 'answered', answeredAt: context.df.currentUtcDateTime.toISOString() }
        : undefined,
    expire: (rest, at): CourierStatus => ({ ...rest, state: 'expired', expiredAt: at }),
  });
  return status;
}
