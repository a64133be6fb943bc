// Activity: listRunsInFlight (see src/activities).
import { registerActivity } from '../src/composition';

registerActivity('listRunsInFlight');
