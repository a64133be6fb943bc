/**
 * Every retry policy and every backoff, in one place: the pause before attempt n+1 is one function of one
 * shape, whether the durable extension waits (RetryOptions) or an orchestrator or activity waits itself.
 */
import * as df from 'durable-functions';

/** Waits first, first × factor, first × factor², ... capped at max. */
export interface Backoff {
  firstMs: number;
  factor: number;
  maxMs: number;
}

/** The pause after failed attempt `attempt` (1-based). */
export const backoffMs = (b: Backoff, attempt: number): number =>
  Math.min(b.maxMs, b.firstMs * b.factor ** Math.min(Math.max(attempt - 1, 0), 30));

/**
 * ARM calls: transient failures (429, 5xx, resets) are retried with backoff on durable timers, for about two
 * and a half minutes (waits 1, 2, 4, 8, 16, then 30 s): the surviving region's ARM is often degraded too.
 */
export const ARM_BACKOFF: Backoff = { firstMs: 1_000, factor: 2, maxMs: 30_000 };
export const ARM_ATTEMPTS = 10;
/** Starting an operation instance: the task hub answers at once or is briefly busy (waits 1, 2, 4, 8 s: about 15 s in all). */
export const START_BACKOFF: Backoff = { firstMs: 1_000, factor: 2, maxMs: 8_000 };
export const START_ATTEMPTS = 5;
/** A notification's delivery: 2 s doubling to at most 5 min (a long outage costs one send per 5 min). */
export const DELIVERY_BACKOFF: Backoff = { firstMs: 2_000, factor: 2, maxMs: 5 * 60_000 };
/**
 * A queued request's courier raising it again until the monitor answers: 2 s doubling to at most 1 min (a
 * monitor busy on a hanging probe drops what arrives meanwhile; a raise landing while it waits is heard).
 */
export const COURIER_BACKOFF: Backoff = { firstMs: 2_000, factor: 2, maxMs: 60_000 };
/** Reads of one target during a read-back: 100 ms, 200 ms, 400 ms ... capped at 2 s. */
export const READ_BACK_BACKOFF: Backoff = { firstMs: 100, factor: 2, maxMs: 2_000 };

/** The extension's retry policy for a backoff: the same pauses, on durable timers. */
export function retryOptions(b: Backoff, attempts: number): df.RetryOptions {
  const retry = new df.RetryOptions(b.firstMs, attempts);
  retry.backoffCoefficient = b.factor;
  retry.maxRetryIntervalInMilliseconds = b.maxMs;
  return retry;
}

export const armRetry = (): df.RetryOptions => retryOptions(ARM_BACKOFF, ARM_ATTEMPTS);
export const startRetry = (): df.RetryOptions => retryOptions(START_BACKOFF, START_ATTEMPTS);

/**
 * How long a transiently failing ARM write is tried again: armRetry's window (ARM_BACKOFF, ten tries),
 * whatever pauses Retry-After asks for instead; and never more tries than this (a Retry-After of 0).
 */
export const WRITE_RETRY_WINDOW_MS = 150_000;
export const MAX_WRITE_ATTEMPTS = 40;
/** The longest Retry-After honoured as asked; a longer one waits this long and asks again. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The pause before trying a transiently failed ARM write again: what ARM asked for (Retry-After) when it said,
 * so a throttle that lifts is used at once instead of after a backoff step of up to 30 s; otherwise
 * ARM_BACKOFF. Never past `deadline` (a fence budget). Pure.
 */
export function writeRetryPauseMs(
  attempt: number,
  retryAfterMs: number | undefined,
  now: number,
  deadline?: number,
): number {
  const pause =
    retryAfterMs !== undefined ? Math.min(MAX_RETRY_AFTER_MS, retryAfterMs) : backoffMs(ARM_BACKOFF, attempt);
  return deadline === undefined ? pause : Math.max(0, Math.min(pause, deadline - now));
}

/**
 * Fences against a region whose ARM answers with errors are retried for at most this long per group (the
 * app setting DR_FENCE_BUDGET overrides it); then what they protect is blocked (or, under a break-glass
 * override, activated) at once instead of after armRetry's two and a half minutes per group.
 */
export const DEFAULT_FENCE_BUDGET_MS = 60_000;
