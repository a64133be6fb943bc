// Activity: checkGroup, the safety check just before a group runs (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('checkGroup');
