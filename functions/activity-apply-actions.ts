// Activity: applyActions (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.applyActions, {
  handler: (input: Parameters<ReturnType<typeof activities>['applyActions']>[0]) =>
    activities().applyActions(input),
});
