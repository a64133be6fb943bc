/**
 * The outbox. The monitor and the operations never send a notification themselves: they hand events to
 * `queueNotifications` (a durable-store write, no broker involved), which starts one delivery orchestration
 * per message id. That orchestration retries with backoff until Service Bus takes the message or the TTL
 * passes, keeping the same message id throughout, so duplicate detection turns at-least-once into once.
 */
import type * as df from 'durable-functions';
import {
  type DeliveryInput,
  type DeliveryStatus,
  type NotificationInput,
  type NotificationRecord,
} from '../durable/contracts';
import { errorMessage } from '../core/errors';
import { activityTask, callActivity, type Gen, type TypedTask } from '../durable/activity-calls';
import { DELIVERY_BACKOFF, backoffMs } from '../durable/retries';

/** History stays bounded: after this many attempts in one execution the delivery continues as new. */
export const ATTEMPTS_PER_EXECUTION = 20;

/**
 * Hands events to the outbox (one activity that starts their delivery orchestrations). The activity records
 * what the store refused instead of throwing, so this may run inside Task.all beside a failover's first group.
 */
export function queueTask(
  context: df.OrchestrationContext,
  notifications: NotificationInput[],
): TypedTask<NotificationRecord[]> {
  return activityTask(context, 'queueNotifications', notifications);
}

/** Hands events to the outbox and waits only for the hand-off. Never throws. */
export function* queueNotifications(
  context: df.OrchestrationContext,
  notifications: NotificationInput[],
): Gen<NotificationRecord[]> {
  if (!notifications.length) return [];
  try {
    return yield* callActivity(context, 'queueNotifications', notifications);
  } catch (err) {
    // The hand-off activity failed after its retries: each event is recorded as not queued, with why.
    const error = `not queued: ${errorMessage(err)}`;
    return notifications.map((n) => ({ type: n.type, messageId: n.messageId, queued: false, error }));
  }
}

/** One notification, until delivered or its TTL passes. */
export function* deliveryOrchestrator(context: df.OrchestrationContext): Gen<DeliveryStatus> {
  const input = context.df.getInput<DeliveryInput>();
  const n = input.notification;
  const deadline = Date.parse(input.queuedAt) + input.ttlMs;
  let status: DeliveryStatus = {
    state: 'pending',
    type: n.type,
    messageId: n.messageId,
    correlationId: n.correlationId,
    queuedAt: input.queuedAt,
    attempts: input.attempts,
  };
  for (let i = 0; i < ATTEMPTS_PER_EXECUTION; i++) {
    const attempt = status.attempts + 1;
    try {
      const sent = yield* callActivity(context, 'sendNotification', n);
      const at = context.df.currentUtcDateTime.toISOString();
      const { lastError: _gone, nextAttemptAt: _none, ...rest } = status;
      status = sent.delivered
        ? { ...rest, state: 'delivered', attempts: attempt, deliveredAt: at }
        : { ...rest, state: 'skipped', attempts: attempt, lastError: sent.skipped ?? 'not sent' };
      context.df.setCustomStatus(status);
      return status;
    } catch (err) {
      // Any send failure (broker down, refused, undeliverable) is tried again until the TTL: it is the outbox's job.
      status = { ...status, attempts: attempt, lastError: errorMessage(err) };
    }
    const now = context.df.currentUtcDateTime.getTime();
    if (now >= deadline) {
      const { nextAttemptAt: _none, ...rest } = status;
      status = { ...rest, state: 'dropped', droppedAt: new Date(now).toISOString() };
      context.df.setCustomStatus(status);
      try {
        yield* callActivity(context, 'reportDroppedNotification', status);
      } catch {
        // The status above already says it was dropped; the alert line is best effort.
      }
      return status;
    }
    const next = Math.min(deadline, now + backoffMs(DELIVERY_BACKOFF, attempt));
    status = { ...status, nextAttemptAt: new Date(next).toISOString() };
    context.df.setCustomStatus(status);
    yield context.df.createTimer(new Date(next));
  }
  context.df.continueAsNew({ ...input, attempts: status.attempts } satisfies DeliveryInput);
  return status;
}
