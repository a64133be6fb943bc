// Activity: operationStatus, through the durable client (see src/activities): the monitor's fallback for a lost operation-finished signal.
import { registerClientActivity } from '../src/composition';

registerClientActivity('operationStatus');
