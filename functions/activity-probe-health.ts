// Activity: probe (see src/activities).
import { registerActivity } from '../src/activities/register';

registerActivity('probe');
