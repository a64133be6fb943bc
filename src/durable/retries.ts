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
 * How long a transiently failing ARM write is tried again: armRetry's window (pauses 1, 2, 4 ... 30 s, ten
 * tries), whatever pauses Retry-After asks for instead; and never more tries than this (a Retry-After of 0).
 */
export const WRITE_RETRY_WINDOW_MS = 150_000;
export const MAX_WRITE_ATTEMPTS = 40;
/** The longest Retry-After honoured as asked; a longer one waits this long and asks again. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The pause before trying a transiently failed ARM write again: what ARM asked for (Retry-After) when it said,
 * so a throttle that lifts is used at once instead of after a backoff step of up to 30 s; otherwise armRetry's
 * backoff. Never past `deadline` (a fence budget). Pure.
 */
export function writeRetryPauseMs(
  attempt: number,
  retryAfterMs: number | undefined,
  now: number,
  deadline?: number,
): number {
  const pause =
    retryAfterMs !== undefined
      ? Math.min(MAX_RETRY_AFTER_MS, retryAfterMs)
      : Math.min(30_000, 1_000 * 2 ** (attempt - 1));
  return deadline === undefined ? pause : Math.max(0, Math.min(pause, deadline - now));
}

/**
 * Fences against a region whose ARM answers with errors are retried for at most this long per group (the
 * app setting DR_FENCE_BUDGET overrides it); then what they protect is blocked (or, under a break-glass
 * override, activated) at once instead of after armRetry's two and a half minutes per group.
 */
export const DEFAULT_FENCE_BUDGET_MS = 60_000;
