// Activity: sendNotification (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('sendNotification');
