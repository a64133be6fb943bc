// Activity: startOperation, through the durable client (see src/activities).
import { registerClientActivity } from '../src/composition';

registerClientActivity('startOperation');
