/** Delivering one notification from inside an orchestration: bounded retries on durable timers, never throws. */
import * as df from 'durable-functions';
import { ACTIVITIES, type NotificationInput, type NotificationRecord } from '../durable/contracts';

/** 4 attempts over about 14 s: Service Bus being down must not hold a failover for long. */
export function notificationRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(2_000, 4);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 8_000;
  return retry;
}

export function* deliver(
  context: df.OrchestrationContext,
  notification: NotificationInput,
): Generator<df.Task, NotificationRecord, unknown> {
  try {
    const sent = (yield context.df.callActivityWithRetry(
      ACTIVITIES.sendNotification,
      notificationRetry(),
      notification,
    )) as { delivered: boolean; skipped?: string };
    return {
      type: notification.type,
      messageId: notification.messageId,
      delivered: sent.delivered,
      ...(sent.skipped ? { error: sent.skipped } : {}),
    };
  } catch (err) {
    return {
      type: notification.type,
      messageId: notification.messageId,
      delivered: false,
      error: errorMessage(err),
    };
  }
}

/** Activity failures arrive as Error objects whose message carries the activity's error. */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** The sub-orchestration that lets an operation send a notification in parallel with its work. */
export function* deliverNotificationOrchestrator(
  context: df.OrchestrationContext,
): Generator<df.Task, NotificationRecord, unknown> {
  return yield* deliver(context, context.df.getInput<NotificationInput>());
}
