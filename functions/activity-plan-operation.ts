// Activity: planOperation (see src/activities).
import { registerActivity } from '../src/activities/register';

registerActivity('planOperation');
