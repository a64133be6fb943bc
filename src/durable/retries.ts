/** Every retry policy the orchestrations use, in one place (durable timers: backoff survives restarts). */
import * as df from 'durable-functions';

/**
 * ARM calls: transient failures (429, 5xx, resets) are retried with backoff on durable timers, for about two
 * and a half minutes (waits 1, 2, 4, 8, 16, then 30 s): the surviving region's ARM is often degraded too.
 */
export function armRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(1_000, 10);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 30_000;
  return retry;
}

/** Starting an operation instance: the local task hub answers at once or is briefly busy (about 30 s in all). */
export function startRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(1_000, 5);
  retry.backoffCoefficient = 2;
  return retry;
}

/**
 * Fences against a region whose ARM answers with errors are retried for at most this long per group (the
 * app setting DR_FENCE_BUDGET overrides it); then what they protect is blocked (or, under a break-glass
 * override, activated) at once instead of after armRetry's two and a half minutes per group.
 */
export const DEFAULT_FENCE_BUDGET_MS = 60_000;
