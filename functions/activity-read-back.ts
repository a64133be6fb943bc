// Activity: readBack (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.readBack, {
  handler: (input: Parameters<ReturnType<typeof activities>['readBack']>[0]) => activities().readBack(input),
});
