// Activity: applyAction (see src/activities).
import { registerActivity } from '../src/activities/register';

registerActivity('applyAction');
