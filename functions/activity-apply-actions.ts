// Activity: applyActions, a group's plain enables or disables in one go (see src/activities).
import { registerActivity } from '../src/activities/register';

registerActivity('applyActions');
