// Activity: planOperation (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.planOperation, {
  handler: (input: Parameters<ReturnType<typeof activities>['planOperation']>[0]) =>
    activities().planOperation(input),
});
