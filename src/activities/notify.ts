/** The outbox's activities: hand events to their delivery orchestrations, send one, report one dropped. */
import { NotifyTerminalError } from '../adapters/servicebus';
import { toCloudEvent } from './cloudevents';
import { errorMessage } from '../core/errors';
import {
  ORCHESTRATIONS,
  deliveryInstanceId,
  type DeliveryInput,
  type DeliveryStatus,
  type NotificationInput,
  type NotificationRecord,
} from '../durable/contracts';
import { statusIfAny, type DurableClient } from '../durable/client';
import type { ActivityContext } from './context';

/** How long a delivery keeps trying when DR_NOTIFY_TTL does not say: a day of broker outage. */
export const DEFAULT_NOTIFICATION_TTL_MS = 24 * 3_600_000;

export function notifyActivities({ notifier, plan, notificationTtlMs }: ActivityContext) {
  const sendNotification = async (
    n: NotificationInput,
  ): Promise<{ delivered: boolean; skipped?: string }> => {
    if (!notifier) return { delivered: false, skipped: 'no notifications configured in the plan' };
    try {
      await notifier.send(toCloudEvent(n), { messageId: n.messageId, correlationId: n.correlationId });
      return { delivered: true };
    } catch (err) {
      // Terminal failures (entity missing, unauthorised) may be fixed by an operator: retried like the rest
      // until the TTL, but named so the status says why.
      if (err instanceof NotifyTerminalError) throw new Error(`undeliverable: ${err.message}`);
      throw err;
    }
  };

  /**
   * Starts one delivery per event, idempotently: an instance that exists (a retried hand-off, a re-sent event)
   * is left as it is, so an event is never queued twice and a delivered one is not sent again. Never throws:
   * it runs alongside a failover's first group, and a hand-off the store refused is a record, not a failure.
   */
  const queueNotifications = async (
    notifications: NotificationInput[],
    client: DurableClient,
  ): Promise<NotificationRecord[]> => {
    const ttlMs = notificationTtlMs ?? DEFAULT_NOTIFICATION_TTL_MS;
    return Promise.all(
      notifications.map(async (notification): Promise<NotificationRecord> => {
        const instanceId = deliveryInstanceId(plan.id, notification.messageId);
        const record = { type: notification.type, messageId: notification.messageId };
        if (!notifier)
          return { ...record, queued: false, skipped: 'no notifications configured in the plan' };
        try {
          if (await exists(client, instanceId)) return { ...record, deliveryId: instanceId, queued: true };
          // The TTL runs on the orchestration's clock, from when the event happened, like the retries it bounds.
          const input: DeliveryInput = { notification, queuedAt: notification.time, ttlMs, attempts: 0 };
          try {
            await client.startNew(ORCHESTRATIONS.deliver, { instanceId, input });
          } catch (err) {
            // Lost a race with another hand-off of the same event: that one queued it.
            if (!(await exists(client, instanceId))) throw err;
          }
          return { ...record, deliveryId: instanceId, queued: true };
        } catch (err) {
          // Any failure: the hand-off runs beside a failover's first group, so it is recorded (status shows it), never thrown.
          return { ...record, queued: false, error: `not queued: ${errorMessage(err)}` };
        }
      }),
    );
  };

  /** The alert an operator's log search finds: what was dropped, after how long, and why. */
  const reportDroppedNotification = async (
    status: DeliveryStatus,
    alert: (line: string) => void = console.error,
  ): Promise<void> => {
    alert(
      `ALERT notification dropped: ${status.type} ${status.messageId} (correlation ${status.correlationId}) ` +
        `after ${status.attempts} attempt(s) since ${status.queuedAt}; last error: ${status.lastError ?? 'none'}`,
    );
  };

  return { sendNotification, queueNotifications, reportDroppedNotification };
}

const exists = async (client: DurableClient, instanceId: string): Promise<boolean> =>
  Boolean((await statusIfAny(client, instanceId))?.runtimeStatus);
