// Activity: applyPendingFences (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.applyPendingFences, {
  handler: (input: Parameters<ReturnType<typeof activities>['applyPendingFences']>[0]) =>
    activities().applyPendingFences(input),
});
