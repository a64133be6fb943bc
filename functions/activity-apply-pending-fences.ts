// Activity: applyPendingFences (see src/activities).
import { registerActivity } from '../src/activities/register';

registerActivity('applyPendingFences');
