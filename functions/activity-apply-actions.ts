// Activity: applyActions, a group's plain enables or disables in one go (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('applyActions');
