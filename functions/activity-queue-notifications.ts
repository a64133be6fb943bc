// Activity: queueNotifications, the outbox hand-off, through the durable client (see src/activities).
import { registerClientActivity } from '../src/composition';

registerClientActivity('queueNotifications');
