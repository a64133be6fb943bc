// Activity: cancelOperation, through the durable client (see src/activities): stops an operation and its entries at their next step boundary.
import { registerClientActivity } from '../src/composition';

registerClientActivity('cancelOperation');
