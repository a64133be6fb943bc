// Activity: queueNotifications, the outbox hand-off, through the durable client (see src/activities).
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities, durableClient } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.queueNotifications, {
  extraInputs: [df.input.durableClient()],
  handler: (
    input: Parameters<ReturnType<typeof activities>['queueNotifications']>[0],
    context: InvocationContext,
  ) => activities().queueNotifications(input, durableClient(context)),
});
