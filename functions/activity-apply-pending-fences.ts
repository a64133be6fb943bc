// Activity: applyPendingFences (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('applyPendingFences');
