// Activity: signalMonitor, through the durable client (see src/activities).
import { registerClientActivity } from '../src/composition';

registerClientActivity('signalMonitor');
