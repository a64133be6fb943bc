/**
 * Trying one thing again until it settles or its time-to-live passes: the loop of the notification outbox and
 * of the request courier. Attempts are paced by a Backoff on durable timers and the deadline comes from the
 * input, so a replay takes the same path; history stays bounded by continuing as new every so many attempts,
 * carrying the attempt count over.
 */
import type * as df from 'durable-functions';
import { errorMessage } from '../core/errors';
import type { Gen } from '../durable/activity-calls';
import { backoffMs, type Backoff } from '../durable/retries';

/** What a retried orchestration is started (and continued as new) with. */
export interface RetriedInput {
  queuedAt: string;
  ttlMs: number;
  /** Attempts made by earlier executions. */
  attempts: number;
}

/** What a retried orchestration publishes (setCustomStatus) while it tries. */
export interface RetriedStatus {
  attempts: number;
  /** One line, no stack. */
  lastError?: string;
  nextAttemptAt?: string;
}

export interface RetryPolicy<S extends RetriedStatus, R> {
  backoff: Backoff;
  /** History stays bounded: after this many attempts in one execution it continues as new. */
  attemptsPerExecution: number;
  /** One attempt. A throw is tried again (its message becomes lastError). */
  attempt(): Gen<R>;
  /**
   * What an attempt's answer means, given the status counting that attempt (without lastError and
   * nextAttemptAt): the final status, or undefined to try again.
   */
  settle(answer: R, counted: Omit<S, 'lastError' | 'nextAttemptAt'>): S | undefined;
  /** The final status when the time-to-live passed before anything settled it. */
  expire(status: Omit<S, 'nextAttemptAt'>, at: string): S;
}

export interface RetryOutcome<S> {
  /** `continuedAsNew`: the attempts of this execution ran out; the next execution carries on. */
  outcome: 'settled' | 'expired' | 'continuedAsNew';
  status: S;
}

/**
 * Attempts until `settle` gives a final status or `input.queuedAt + input.ttlMs` passes: after failed attempt n
 * it waits backoffMs(backoff, n), never past the deadline, and the last attempt is made at the deadline.
 * Publishes the status after each attempt; the final one is published before returning.
 */
export function* retryUntilExpiry<S extends RetriedStatus, R>(
  context: df.OrchestrationContext,
  input: RetriedInput,
  initial: S,
  policy: RetryPolicy<S, R>,
): Gen<RetryOutcome<S>> {
  const deadline = Date.parse(input.queuedAt) + input.ttlMs;
  let status = initial;
  for (let i = 0; i < policy.attemptsPerExecution; i++) {
    const attempt = status.attempts + 1;
    try {
      const answer = yield* policy.attempt();
      const { lastError: _gone, nextAttemptAt: _none, ...counted } = { ...status, attempts: attempt };
      const settled = policy.settle(answer, counted);
      if (settled) {
        context.df.setCustomStatus(settled);
        return { outcome: 'settled', status: settled };
      }
      status = { ...status, attempts: attempt };
    } catch (err) {
      status = { ...status, attempts: attempt, lastError: errorMessage(err) };
    }
    const now = context.df.currentUtcDateTime.getTime();
    if (now >= deadline) {
      const { nextAttemptAt: _none, ...rest } = status;
      const expired = policy.expire(rest, new Date(now).toISOString());
      context.df.setCustomStatus(expired);
      return { outcome: 'expired', status: expired };
    }
    const next = Math.min(deadline, now + backoffMs(policy.backoff, attempt));
    status = { ...status, nextAttemptAt: new Date(next).toISOString() };
    context.df.setCustomStatus(status);
    yield context.df.createTimer(new Date(next));
  }
  context.df.continueAsNew({ ...input, attempts: status.attempts });
  return { outcome: 'continuedAsNew', status };
}
