// Activity: deliverRequest, a queued request's courier's one attempt, through the durable client (see src/activities).
import { registerClientActivity } from '../src/composition';

registerClientActivity('deliverRequest');
