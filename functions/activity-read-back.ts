// Activity: readBack (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('readBack');
