// Activity: checkGroup, the safety check just before a group runs (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.checkGroup, {
  handler: (input: Parameters<ReturnType<typeof activities>['checkGroup']>[0]) =>
    activities().checkGroup(input),
});
