/** Notifications as CloudEvents 1.0 (structured mode): one event per thing an operator should know. */
import type { CloudEvent } from '../adapters/servicebus';
import type { NotificationCommon } from '../core/notifications';
import type { EventType, NotificationData, NotificationInput } from '../durable/contracts';

/** The control plane's CloudEvents: each type with its own data (the contract in core/notifications.ts). */
export type NotificationEvent = {
  [K in EventType]: CloudEvent<NotificationData[K] & NotificationCommon & { planId: string }, K>;
}[EventType];

export function toCloudEvent(n: NotificationInput): NotificationEvent {
  return {
    specversion: '1.0',
    id: n.messageId,
    source: `/logic-apps-failover/plans/${n.planId}`,
    type: n.type,
    time: n.time,
    subject: n.planId,
    datacontenttype: 'application/json',
    data: { planId: n.planId, ...n.data },
  } as NotificationEvent;
}
