// Activity: probe (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('probe');
