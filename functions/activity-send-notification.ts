// Activity: sendNotification (see src/activities).
import { registerActivity } from '../src/activities/register';

registerActivity('sendNotification');
