// Activity: applyAction (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('applyAction');
