// Activity: planOperation (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('planOperation');
