// Activity: readBack (see src/activities).
import { registerActivity } from '../src/activities/register';

registerActivity('readBack');
