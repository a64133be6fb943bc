// Activity: reportDroppedNotification, the alert-level log line for an event past its TTL (see src/activities).
import { registerLoggingActivity } from '../src/composition';

registerLoggingActivity('reportDroppedNotification');
