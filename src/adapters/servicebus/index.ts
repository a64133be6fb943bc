export {
  createServiceBusNotifier,
  toServiceBusMessage,
  describeTarget,
  NotifierConfigError,
  CLOUDEVENTS_CONTENT_TYPE,
  DEFAULT_NOTIFY_TIMEOUT_MS,
  BREAKER_FAILURES,
  BREAKER_OPEN_MS,
  type CloudEvent,
  type NotificationTarget,
  type Notifier,
  type NotifierDeps,
} from './notifier';
export { NotifyError, NotifyTransientError, NotifyTerminalError, classifyNotifyError } from './errors';
