// Activity: recordRequests, the audit of operators' requests, through the durable client (see src/activities).
import { registerClientActivity } from '../src/composition';

registerClientActivity('recordRequests');
