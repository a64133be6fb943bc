/** Notifications as CloudEvents 1.0 (structured mode): one event per thing an operator should know. */
import type { CloudEvent } from '../adapters/servicebus';
import type { NotificationInput } from '../durable/contracts';

export function toCloudEvent(n: NotificationInput): CloudEvent<Record<string, unknown>> {
  return {
    specversion: '1.0',
    id: n.messageId,
    source: `/logic-apps-failover/plans/${n.planId}`,
    type: n.type,
    time: n.time,
    subject: n.planId,
    datacontenttype: 'application/json',
    data: { planId: n.planId, ...n.data },
  };
}
