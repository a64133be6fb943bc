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
import { DELIVERY_BACKOFF } from '../durable/retries';
import { retryUntilExpiry } from './retry';

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
  const initial: DeliveryStatus = {
    state: 'pending',
    type: n.type,
    messageId: n.messageId,
    correlationId: n.correlationId,
    queuedAt: input.queuedAt,
    attempts: input.attempts,
  };
  // Any send failure (broker down, refused, undeliverable) is tried again until the TTL: it is the outbox's job.
  const { outcome, status } = yield* retryUntilExpiry(context, input, initial, {
    backoff: DELIVERY_BACKOFF,
    attemptsPerExecution: ATTEMPTS_PER_EXECUTION,
    attempt: () => callActivity(context, 'sendNotification', n),
    settle: (sent, counted): DeliveryStatus =>
      sent.delivered
        ? { ...counted, state: 'delivered', deliveredAt: context.df.currentUtcDateTime.toISOString() }
        : { ...counted, state: 'skipped', lastError: sent.skipped ?? 'not sent' },
    expire: (rest, at): DeliveryStatus => ({ ...rest, state: 'dropped', droppedAt: at }),
  });
  if (outcome === 'expired') {
    try {
      yield* callActivity(context, 'reportDroppedNotification', status);
    } catch {
      // The status already says it was dropped; the alert line is best effort.
    }
  }
  return status;
}
