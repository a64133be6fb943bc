// Activity: sendNotification (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.sendNotification, {
  handler: (input: Parameters<ReturnType<typeof activities>['sendNotification']>[0]) =>
    activities().sendNotification(input),
});
