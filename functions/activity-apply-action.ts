// Activity: applyAction (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.applyAction, {
  handler: (input: Parameters<ReturnType<typeof activities>['applyAction']>[0]) =>
    activities().applyAction(input),
});
