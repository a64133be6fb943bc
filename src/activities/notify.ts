/** One CloudEvent to Service Bus; the orchestration retries a failed send. */
import { NotifyTerminalError } from '../adapters/servicebus';
import { toCloudEvent } from '../app/cloudevents';
import type { NotificationInput } from '../durable/contracts';
import type { ActivityContext } from './context';

export function notifyActivities({ notifier }: ActivityContext) {
  const sendNotification = async (
    n: NotificationInput,
  ): Promise<{ delivered: boolean; skipped?: string }> => {
    if (!notifier) return { delivered: false, skipped: 'no notifications configured in the plan' };
    try {
      await notifier.send(toCloudEvent(n), { messageId: n.messageId, correlationId: n.correlationId });
      return { delivered: true };
    } catch (err) {
      // Terminal failures (entity missing, unauthorised) are not worth retrying, but must not look delivered.
      if (err instanceof NotifyTerminalError) throw new Error(`undeliverable: ${err.message}`);
      throw err;
    }
  };

  return { sendNotification };
}
