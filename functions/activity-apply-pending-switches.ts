// Activity: applyPendingSwitches (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('applyPendingSwitches');
